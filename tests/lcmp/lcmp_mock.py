"""`openssl cmp -port` (OpenSSL's HTTP mock CMP server) in a loopback-only network namespace.

`openssl cmp -port` listens on all interfaces (`[::]:port`), so it runs under `unshare --net`
with only `lo` up. The test reaches it from one worker thread that has joined that namespace with
setns(2) — a network namespace belongs to a thread, not to the process — so the client code runs
in-process (injectable sleep, plain asserts) while the rest of the test stays in the host's
namespace, where nothing listens.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def unavailable_reason() -> str | None:
    missing = [tool for tool in ("openssl", "unshare", "ip", "timeout") if shutil.which(tool) is None]
    return f"missing {', '.join(missing)}" if missing else None


def free_host_port() -> int:
    """A port nothing on the host listens on (so 'refused from the host' means something)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _join_netns(pid: int) -> None:
    fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns(net of {pid}): {os.strerror(err)}")
    finally:
        os.close(fd)


class MockCmpServer:
    def __init__(self, pki_dir: Path, log_path: Path, args: list[str]) -> None:
        self.pki_dir = pki_dir
        self.log_path = log_path
        self.args = args
        self.port = free_host_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pkix/"

    def start(self, timeout: float = 15.0) -> MockCmpServer:
        if os.geteuid() != 0:
            raise RuntimeError(
                "the openssl mock server runs in its own network namespace: run the tests as root"
            )
        # `timeout` bounds the server's life even if this process dies without cleaning up.
        command = " ".join(
            ["ip link set lo up && exec timeout 300 openssl cmp -port", str(self.port), *self.args]
        )
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                ["unshare", "--net", "--", "sh", "-c", command],
                cwd=self.pki_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        host_ns = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + timeout
        # unshare execs in place, so the PID is (soon) inside the new namespace
        while os.readlink(f"/proc/{self.proc.pid}/ns/net") == host_ns:
            self._check_alive(deadline)
            time.sleep(0.01)
        self._executor = ThreadPoolExecutor(
            1, "cmp-netns", initializer=_join_netns, initargs=(self.proc.pid,)
        )
        # Its "ACCEPT [::]:port PID=..." line says it listens. (A probe connection would do too, but the
        # single-threaded mock then spends a second waiting for that connection's request.)
        listening = re.compile(rf"ACCEPT \S+:{self.port}\b")
        while not listening.search(self.log()):
            self._check_alive(deadline)
            time.sleep(0.01)
        return self

    def _check_alive(self, deadline: float) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"openssl mock server exited ({self.proc.returncode}):\n{self.log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"openssl mock server did not come up:\n{self.log()}")

    def run(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Call `fn(*args, **kwargs)` on the thread inside the server's network namespace."""
        assert self._executor is not None
        return self._executor.submit(fn, *args, **kwargs).result(timeout=60)

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # by PID: timeout forwards it to openssl
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> MockCmpServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def in_host_namespace_refused(port: int) -> bool:
    """Nothing listens on the host's loopback at `port` (IPv4 and IPv6)."""
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(2)
            try:
                probe.connect((address, port))
            except ConnectionRefusedError:
                continue
            except OSError as exc:  # e.g. no IPv6 on the host: nothing can listen there either
                if exc.errno in (97, 99, 101):  # EAFNOSUPPORT, EADDRNOTAVAIL, ENETUNREACH
                    continue
                raise
            return False
    return True
