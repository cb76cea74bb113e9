"""One face check (matcher in its child process) recorded as the kiosk does it, for
test_face_privacy to watch under strace.

usage: face_check_probe.py CLIP CARD_PHOTO_JP2 DATABASE
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from kiosk.facecheck.camera import Capture
from kiosk.facecheck.matcher import ProcessMatcher
from kiosk.facecheck.worker import FaceCheckWorker
from kiosk.flows.face import record_face_check
from kiosk.store.db import make_engine, make_sessionmaker


def main(clip: str, card_photo: str, database: str) -> int:
    photo = bytearray(Path(card_photo).read_bytes())
    with ProcessMatcher() as matcher, Capture(clip, realtime=False) as capture:
        worker = FaceCheckWorker(
            capture,
            matcher,
            photo,
            liveness_required=False,
            rng=random.Random(0),
        )
        decision = worker.start().wait(timeout=60)
    photo[:] = bytes(len(photo))
    engine = make_engine(database)
    with make_sessionmaker(engine).begin() as session:
        record = record_face_check(
            session,
            subject="application:probe",
            decision=decision,
            unattended=False,
            operator="staff-1",
            now=datetime.now(UTC),
        )
    engine.dispose()
    print(decision.outcome.value, ",".join(option.value for option in record.options))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
