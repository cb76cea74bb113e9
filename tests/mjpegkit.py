"""An IP camera on 127.0.0.1: multipart/x-mixed-replace MJPEG that can be unplugged or stalled."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

FrameSource = Callable[[int], np.ndarray]  # frame index → BGR image


class MjpegServer:
    """Serves `source(i)` for i = 0, 1, … at about `fps` to each client."""

    def __init__(self, source: FrameSource, *, fps: float = 20.0) -> None:
        self.unplugged = threading.Event()
        self.stalled = threading.Event()
        self._connections: list[socket.socket] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                server._connections.append(self.connection)
                index = 0
                try:
                    while not server.unplugged.is_set():
                        if server.stalled.is_set():
                            time.sleep(0.02)
                            continue
                        jpeg = cv2.imencode(".jpg", source(index))[1].tobytes()
                        self.wfile.write(
                            b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%b\r\n"
                            % (len(jpeg), jpeg)
                        )
                        index += 1
                        time.sleep(1 / fps)
                except OSError:  # the client went away
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stream.mjpg"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        """Cut every connection and stop listening, so reconnects are refused."""
        if self.unplugged.is_set():
            return
        self.unplugged.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for connection in self._connections:
            with contextlib.suppress(OSError):  # the handler may have closed it already
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
