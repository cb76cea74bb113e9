"""Nothing image-like reaches the disk or the database during a face check.

A whole check — the clip read through cv2.VideoCapture, the card photo decoded, detection and
encoding in dlib, the decision recorded in the kiosk's store — runs in a child process under
strace, which sees every file the process (Python, OpenCV, dlib, SQLite alike) creates, opens for
writing, renames or truncates. The only such file may be the store; the store is then searched
for images and for anything large enough to hold a face encoding.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import facekit
from kiosk.store.db import make_engine
from kiosk.store.migrate import upgrade

PROBE = Path(__file__).with_name("face_check_probe.py")
ROOT = Path(__file__).resolve().parents[2]
WRITES = (  # every call that creates, opens for writing, renames or truncates a file
    "open,openat,openat2,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,mkdir,mkdirat,truncate"
)
# First quoted path of a traced call, and its flags when it is an open.
CALL = re.compile(r'^\d+\s+(?P<call>\w+)\((?:(?:AT_FDCWD|\d+),\s*)?"(?P<path>[^"]*)"(?P<rest>.*)$')
WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
IMAGE_MAGIC = {
    "JPEG": b"\xff\xd8\xff\xe0",
    "JPEG/Exif": b"\xff\xd8\xff\xe1",
    "PNG": b"\x89PNG",
    "JPEG 2000": b"\x00\x00\x00\x0cjP  ",
    "JPEG 2000 codestream": b"\xff\x4f\xff\x51",
    "BMP": b"BM6",
}
LARGEST_VALUE = 512  # bytes or characters: a 128-d encoding takes 1 KiB as float64, more as text


def written_paths(trace: str) -> set[str]:
    """Paths the traced process changed or opened for writing (successful calls only)."""
    paths = set()
    for line in trace.splitlines():
        match = CALL.match(line)
        if match is None or re.search(r"= -1 E", line):
            continue
        call, path, rest = match["call"], match["path"], match["rest"]
        if call.startswith("open") and not WRITE_FLAGS.search(rest):
            continue
        paths.add(path)
    return paths


def test_written_paths_parser() -> None:
    trace = "\n".join(
        [
            '12 openat(AT_FDCWD, "/a/clip.avi", O_RDONLY|O_CLOEXEC) = 3',
            '12 openat(AT_FDCWD, "/a/kiosk.db", O_RDWR|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0644) = 4',
            '13 openat(AT_FDCWD, "/tmp/frame.png", O_WRONLY|O_CREAT|O_TRUNC <unfinished ...>',
            '12 openat(AT_FDCWD, "/nope", O_WRONLY|O_CREAT, 0666) = -1 EACCES (Permission denied)',
            '12 rename("/a/x.tmp", "/a/x") = 0',
            '12 mkdir("/tmp/cache", 0777) = 0',
        ]
    )
    assert written_paths(trace) == {"/a/kiosk.db", "/tmp/frame.png", "/a/x.tmp", "/tmp/cache"}


def test_a_face_check_writes_no_image_anywhere(tmp_path: Path) -> None:
    clip = facekit.live_clip(tmp_path / "clip.avi", "obama", (), frames=12)
    database = tmp_path / "store" / "kiosk.db"
    database.parent.mkdir()
    engine = make_engine(database)
    upgrade(engine)
    engine.dispose()
    trace = tmp_path / "strace.log"
    scratch = tmp_path / "scratch"  # the child's cwd, HOME and TMPDIR: anything dropped there shows
    scratch.mkdir()
    env = {
        **os.environ,
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [
            *("strace", "-f", "-qq", "-e", f"trace={WRITES}", "-o", str(trace)),
            *(sys.executable, str(PROBE), str(clip), str(facekit.FACESET / "obama-card.jp2"), str(database)),
        ],
        check=False,
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["matched", "accept"]

    sidecars = {str(database) + suffix for suffix in ("", "-journal", "-wal", "-shm")}
    unexpected = {p for p in written_paths(trace.read_text()) if p not in sidecars}
    assert not unexpected, f"written during a face check: {sorted(unexpected)}"
    assert not any(scratch.iterdir())

    # The store holds the decision, and nothing that could be a picture or an encoding.
    raw = database.read_bytes()
    for name, magic in IMAGE_MAGIC.items():
        assert magic not in raw, f"{name} data in the store"
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes | str):
                        assert len(value) <= LARGEST_VALUE, f"{table}: a {len(value)}-long value"
        (details,) = db.execute(
            "SELECT details FROM audit_record WHERE action = 'identity.face_check'"
        ).fetchone()
    assert '"outcome":"matched"' in details and '"score":"0.' in details
