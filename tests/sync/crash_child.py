"""The kiosk side of the process-level crash tests, run as its own process by test_sync_crash.py.

    python crash_child.py DB RECEIVER DATA_DIR N [POINT INDEX]

enqueues N applications with their messages (N = 0: a restarted kiosk with nothing new), then runs
the relay until the outbox is drained.

At POINT for message INDEX it prints `REACHED POINT` and blocks; the test then kills it with
SIGKILL — the process gets no chance to clean up, exactly as in a power cut of the process (not of
the machine: the OS still writes what was handed to it). Each enqueue is acknowledged on stdout
(`ACK i msg_id`) only after its COMMIT returned, as a UI would show "accepted" only then.

Points:
  enqueue:before-commit  business row and outbox row flushed, transaction still open
  enqueue:after-commit   committed and acknowledged, relay not started
  send:before-deliver    attempt committed by the relay, nothing sent yet
  send:after-deliver     the receiver stored the message, its receipt not yet processed
  relay:after-sent       `sent` committed for that message
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import select
from synckit import Receiver, make_verifier

from kiosk.store.db import make_engine, make_sessionmaker
from kiosk.store.migrate import upgrade
from kiosk.store.models import Application, ApplicationState, OutboxMessage, ProcedureKind
from kiosk.store.sealed import Sealer, load_or_create_data_key
from kiosk.sync.outbox import enqueue
from kiosk.sync.relay import Backoff, Receipt, Relay, RelayOutcome

FAST = Backoff(base=0.01, factor=2.0, cap=0.05)  # real time in the child; keep the tests quick


def block_at(point: str) -> None:
    print(f"REACHED {point}", flush=True)
    while True:  # the test kills us here
        time.sleep(60)


def payload_for(i: int, app_id: str) -> bytes:
    # Stands in for a signed CMP message: distinct per application, ~1.9 KB like a real p10cr.
    return f"msg-{i:04d}|app={app_id}|".encode() + bytes([i % 251]) * 1900


def index_of(message: OutboxMessage) -> int:
    return int(message.payload[4:8])


def main(argv: list[str]) -> int:
    db, receiver_path, data_dir, count = Path(argv[0]), Path(argv[1]), Path(argv[2]), int(argv[3])
    point, at = (argv[4], int(argv[5])) if len(argv) > 5 else ("", -1)

    engine = make_engine(db)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    sealer = Sealer(load_or_create_data_key(data_dir))
    receiver = Receiver(receiver_path)

    for i in range(count):
        with sessions() as session, session.begin():
            app = Application(kind=ProcedureKind.NEW_ISSUANCE, state=ApplicationState.SUBMITTED)
            app.seal_payload(sealer, f"resident {i}".encode())
            session.add(app)
            message = enqueue(session, "test.application", payload_for(i, app.id.hex))
            if point == "enqueue:before-commit" and i == at:
                block_at(point)
        print(f"ACK {i} {message.msg_id}", flush=True)
        if point == "enqueue:after-commit" and i == at:
            block_at(point)

    def send(message: OutboxMessage) -> Receipt:
        if point == "send:before-deliver" and index_of(message) == at:
            block_at(point)
        receipt = receiver.accept(message)
        if point == "send:after-deliver" and index_of(message) == at:
            block_at(point)
        return receipt

    relay = Relay(sessions, send, verify_receipt=make_verifier(), backoff=FAST)
    while True:
        step = relay.run_once()
        if step.outcome is RelayOutcome.IDLE:
            break
        if step.outcome is RelayOutcome.SENT and point == "relay:after-sent":
            with sessions() as session:
                sent = session.scalars(select(OutboxMessage).where(OutboxMessage.msg_id == step.msg_id)).one()
                if index_of(sent) == at:
                    block_at(point)
        if step.retry_in:
            time.sleep(step.retry_in)
    print("DRAINED", flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
