"""`central serve` as its own process, as the demo and the end-to-end tests run it: started on a
port of 127.0.0.1 (0: a free one), its address read from its log, the rest of its log passed on
by a thread (a full pipe would stall the central mid-request)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from cardemu.supervisor import set_parent_death_signal

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"https://127\.0\.0\.1:\d+/pkix/")  # `central serve`'s first line says where


class CentralDidNotStart(RuntimeError):
    pass


def serve_central(
    db_url: str,
    ca_dir: Path,
    log: Callable[[str], None],
    *,
    port: int = 0,
    die_with_parent: bool = False,
) -> tuple[subprocess.Popen[str], str]:
    """Start `central serve` on `port`; returns the process and its CMP endpoint URL. Every line
    of its log goes to `log`. `die_with_parent`: the kernel stops it when this thread ends, even
    when this process is killed (PR_SET_PDEATHSIG)."""
    command = [sys.executable, "-m", "central", "serve", "--url", db_url, "--ca-dir", str(ca_dir)]
    # preexec_fn only calls the pre-resolved prctl.
    process = subprocess.Popen(  # noqa: S603 (our own argv)
        [*command, "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        preexec_fn=set_parent_death_signal if die_with_parent else None,  # noqa: PLW1509
    )
    assert process.stderr is not None
    found = None
    for line in process.stderr:  # until it says where it listens (or exits: EOF)
        log(line)
        found = LISTENING.search(line)
        if found:
            break
    if not found:
        process.kill()
        process.wait(5)
        raise CentralDidNotStart("the central did not start")
    threading.Thread(target=_pass_on, args=(process.stderr, log), daemon=True).start()
    return process, found.group(0)


def _pass_on(source: IO[str], log: Callable[[str], None]) -> None:
    for line in source:
        log(line)
