"""Test doubles for the central side: an idempotent receiver that signs receipts (uniquely named
module: test directories are not packages). Used in-process and by the crash-test child process.

The receiver keeps its state in its own SQLite file, so a kiosk process killed with SIGKILL and a
fresh one see the same "central side". It is idempotent on msg_id, as the real intake must be,
counts every delivery, and checks that a re-delivered msg_id carries identical bytes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from kiosk_store_fixtures import FakeClock  # noqa: F401 (re-exported for the tests)

from kiosk.store.models import OutboxMessage
from kiosk.sync.relay import Receipt, VerifiedReceipt

# A fixed test key: the child process and the test must agree on it.
CENTRAL_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
SIG_SIZE = 64


def sign_receipt(
    msg_id: uuid.UUID,
    server_seq: int,
    *,
    accepted: bool = True,
    reason: str | None = None,
    key: Ed25519PrivateKey = CENTRAL_KEY,
) -> Receipt:
    body = json.dumps(
        {"msg_id": str(msg_id), "server_seq": server_seq, "accepted": accepted, "reason": reason},
        sort_keys=True,
    ).encode()
    return Receipt(key.sign(body) + body)


class BadReceipt(Exception):
    pass


def make_verifier(
    public_key: Ed25519PublicKey | None = None,
) -> Callable[[OutboxMessage, Receipt], VerifiedReceipt]:
    """A JWS-style receipt verifier: checks the signature and reports the msg_id the receipt names
    (the relay compares it with the message it sent)."""
    public = public_key or CENTRAL_KEY.public_key()

    def verify(message: OutboxMessage, receipt: Receipt) -> VerifiedReceipt:
        signature, body = receipt.raw[:SIG_SIZE], receipt.raw[SIG_SIZE:]
        try:
            public.verify(signature, body)
        except InvalidSignature:
            raise BadReceipt("receipt signature invalid") from None
        claims = json.loads(body)
        return VerifiedReceipt(
            msg_id=uuid.UUID(claims["msg_id"]),
            server_seq=int(claims["server_seq"]),
            accepted=bool(claims["accepted"]),
            reason=claims["reason"],
        )

    return verify


@dataclass(frozen=True)
class Delivery:
    msg_id: uuid.UUID
    server_seq: int
    count: int


class Receiver:
    """The central intake, as far as delivery semantics go."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._db() as db:
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS delivered (
                    server_seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    msg_id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    sha256 BLOB NOT NULL,
                    count INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS attempt (n INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT);
                CREATE TABLE IF NOT EXISTS mismatch (msg_id TEXT);
                """
            )

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return db

    def accept(self, message: OutboxMessage) -> Receipt:
        """Store idempotently (commit before answering), then sign a receipt naming the msg_id."""
        digest = hashlib.sha256(message.payload).digest()
        db = self._db()
        try:
            with db:
                db.execute("INSERT INTO attempt (msg_id) VALUES (?)", (str(message.msg_id),))
                row = db.execute(
                    "SELECT server_seq, sha256 FROM delivered WHERE msg_id = ?", (str(message.msg_id),)
                ).fetchone()
                if row is None:
                    cur = db.execute(
                        "INSERT INTO delivered (msg_id, kind, sha256, count) VALUES (?, ?, ?, 1)",
                        (str(message.msg_id), message.kind, digest),
                    )
                    server_seq = int(cur.lastrowid or 0)
                else:
                    server_seq, stored = row
                    if stored != digest:
                        db.execute("INSERT INTO mismatch VALUES (?)", (str(message.msg_id),))
                    db.execute(
                        "UPDATE delivered SET count = count + 1 WHERE msg_id = ?", (str(message.msg_id),)
                    )
        finally:
            db.close()
        return sign_receipt(message.msg_id, server_seq)

    def deliveries(self) -> list[Delivery]:
        """Distinct messages in the order first received."""
        db = self._db()
        try:
            rows = db.execute(
                "SELECT msg_id, server_seq, count FROM delivered ORDER BY server_seq"
            ).fetchall()
        finally:
            db.close()
        return [Delivery(uuid.UUID(m), s, c) for m, s, c in rows]

    def attempts(self) -> int:
        db = self._db()
        try:
            return int(db.execute("SELECT count(*) FROM attempt").fetchone()[0])
        finally:
            db.close()

    def mismatches(self) -> int:
        db = self._db()
        try:
            return int(db.execute("SELECT count(*) FROM mismatch").fetchone()[0])
        finally:
            db.close()
