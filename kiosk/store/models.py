"""The kiosk database: applications, the issuance journal, the audit chain, outbox, inbox, sync state,
the terminal's service mode.

Typed SQLAlchemy 2 models. Rules the whole schema follows:
- Personal data is stored only sealed (`kiosk.store.sealed`): `Application.sealed_payload` and
  `IssuanceJournal.sealed_certificate` (the signing certificate carries the 基本4情報).
- Relationships are `lazy="raise"`: an unplanned lazy load (an extra query, possibly on the UI
  thread or after the session closed) fails loudly instead.
- Times are aware UTC (`UtcDateTime`), set by the caller's clock so tests are deterministic.
- Enums are stored as their lower-case values with a CHECK constraint; a new value is a migration.
- No repr shows a payload, a certificate or any other data that may be personal.
The schema itself is created by the Alembic migrations in `kiosk/store/migrations/`, never by
`create_all`; the triggers that keep the outbox and audit rows immutable live there.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kiosk.domain.procedures import Procedure
from kiosk.domain.service_mode import OutOfServiceReason, ServiceState
from kiosk.store.coltypes import UtcDateTime, utcnow
from kiosk.store.sealed import Sealer

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: UtcDateTime(),
        uuid.UUID: Uuid(),
        bytes: LargeBinary(),
    }


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Stored as the member's value, checked by a named CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


# --- applications ---------------------------------------------------------------------------------


# The procedures are the domain's (RULES.md, "Procedures the terminal performs"); stored by value.
ProcedureKind = Procedure


class ApplicationState(enum.StrEnum):
    OPEN = "open"  # being taken at the counter
    SUBMITTED = "submitted"  # its message is in the outbox
    COMPLETED = "completed"
    REJECTED = "rejected"  # refused by 機構 or at the counter (受付不可)
    CANCELLED = "cancelled"


class Application(Base):
    __tablename__ = "application"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[ProcedureKind] = mapped_column(_enum(ProcedureKind, "procedure_kind"))
    state: Mapped[ApplicationState] = mapped_column(
        _enum(ApplicationState, "application_state"), default=ApplicationState.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Everything personal about the application (4 info, documents seen, contact), sealed.
    sealed_payload: Mapped[bytes]

    journal: Mapped[list[IssuanceJournal]] = relationship(back_populates="application", lazy="raise")

    SEAL_TABLE: Final = "application"

    def seal_payload(self, sealer: Sealer, plaintext: bytes | bytearray) -> None:
        """Set the payload, bound to this row's id and kind (so the kind must be set first)."""
        if self.kind is None:
            raise ValueError("set the kind before sealing the payload")
        if self.id is None:
            self.id = uuid.uuid4()  # the id is bound into the seal, so it is fixed now, not at flush
        self.sealed_payload = sealer.seal(
            plaintext, table=self.SEAL_TABLE, row_id=self.id, kind=ProcedureKind(self.kind).value
        )

    def open_payload(self, sealer: Sealer) -> bytes:
        return sealer.open(
            self.sealed_payload, table=self.SEAL_TABLE, row_id=self.id, kind=ProcedureKind(self.kind).value
        )

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.kind} {self.state}>"


# --- issuance journal -----------------------------------------------------------------------------


class CertificateKind(enum.StrEnum):
    SIGN = "sign"  # 署名用電子証明書
    AUTH = "auth"  # 利用者証明用電子証明書


class IssuanceStep(enum.StrEnum):
    """Where one certificate's issuance stands; see kiosk.sync.journal for the transitions."""

    REQUESTED = "requested"  # request in the outbox
    CERTIFICATE_RECEIVED = "certificate_received"  # 機構's certificate is here, not yet on the card
    WRITTEN_TO_CARD = "written_to_card"  # the card accepted the write
    READ_BACK = "read_back"  # read back from the card, identical
    CONFIRMED = "confirmed"  # certConf in the outbox: done
    ABANDONED = "abandoned"  # given up before any certificate existed
    REVOKED_AS_DESTROYED = "revoked_as_destroyed"  # 破棄: issued but never installed, revocation requested
    HANDED_OVER = "handed_over"  # the card came back to another terminal, which installs it


class Fee(enum.StrEnum):
    """Whether the office collected the fee for a certificate (交付記録簿 (エ) 有償 / (オ) 無償)."""

    PAID = "paid"
    FREE = "free"


class IssuanceJournal(Base):
    """One certificate of one application on one card, step by step, so a crash or a resident who
    walks away can be resumed or cleaned up (kiosk.sync.journal)."""

    __tablename__ = "issuance_journal"
    __table_args__ = (
        Index(None, "application_id"),
        Index(None, "step"),
        # As the application's fee item (appdata): an amount exactly when the fee is paid.
        CheckConstraint(
            "(fee = 'paid' AND fee_yen > 0) OR (fee = 'free' AND fee_yen = 0)", name="fee_yen_matches_fee"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"))
    card_id: Mapped[str] = mapped_column(String(64))  # hex of the card's identifier
    cert_kind: Mapped[CertificateKind] = mapped_column(_enum(CertificateKind, "certificate_kind"))
    step: Mapped[IssuanceStep] = mapped_column(_enum(IssuanceStep, "issuance_step"))
    # CMP transactionID of the request: how 機構's answer finds this entry.
    transaction_id: Mapped[bytes | None] = mapped_column(LargeBinary(16), unique=True)
    request_msg_id: Mapped[uuid.UUID | None]  # outbox message of the request
    closing_msg_id: Mapped[uuid.UUID | None]  # outbox message of the certConf or the revocation
    # The certificate DER, sealed (the signing certificate names the holder).
    sealed_certificate: Mapped[bytes | None]
    attempts: Mapped[int] = mapped_column(default=0)  # card write attempts
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The ledger's paid / free and the yen to pay 機構 (RULES.md, Records), fixed when requested.
    # Server defaults: rows from before migration 0003 recorded no fee and count as free.
    fee: Mapped[Fee] = mapped_column(_enum(Fee, "fee"), default=Fee.FREE, server_default=Fee.FREE.value)
    fee_yen: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Another terminal's application (the central's id) whose certificate was handed over to this
    # terminal to install (kiosk.flows.handover); None for this terminal's own requests.
    taken_over: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="journal", lazy="raise")

    SEAL_TABLE: Final = "issuance_journal"

    def seal_certificate(self, sealer: Sealer, der: bytes) -> None:
        if self.cert_kind is None:
            raise ValueError("set the certificate kind before sealing the certificate")
        if self.id is None:
            self.id = uuid.uuid4()
        self.sealed_certificate = sealer.seal(
            der, table=self.SEAL_TABLE, row_id=self.id, kind=CertificateKind(self.cert_kind).value
        )

    def open_certificate(self, sealer: Sealer) -> bytes:
        if self.sealed_certificate is None:
            raise LookupError("no certificate recorded for this journal entry")
        return sealer.open(
            self.sealed_certificate,
            table=self.SEAL_TABLE,
            row_id=self.id,
            kind=CertificateKind(self.cert_kind).value,
        )

    def __repr__(self) -> str:
        return f"<IssuanceJournal {self.id} {self.cert_kind} {self.step} attempts={self.attempts}>"


# --- audit ----------------------------------------------------------------------------------------


class AuditRecord(Base):
    """One terminal operation (規則 73-3), hash-chained: `hash = SHA-256(prev_hash || content)`.

    Append-only (triggers refuse UPDATE and DELETE); `kiosk.store.audit.verify_chain` detects an
    edited, inserted or deleted row even when the triggers were removed. Details name ids and
    kinds, never personal data.
    """

    __tablename__ = "audit_record"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))  # operator or component
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))  # e.g. "application:<uuid>"
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, as hashed
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)

    def __repr__(self) -> str:
        return f"<AuditRecord {self.id} {self.action} {self.subject}>"


# --- operators ------------------------------------------------------------------------------------


class Operator(Base):
    """A staff member who may operate this terminal (規則 73-3; 要領 第2-1-(1)-ア-(イ)-B), bound to
    one staff card by the SHA-256 of its authentication certificate (kiosk.flows.operator).

    Never deleted: the audit chain names operators by id, so a withdrawn operator is disabled and
    the id stays taken. The display name is how staff are shown on screen, not in the record.
    """

    __tablename__ = "operator"
    __table_args__ = (CheckConstraint("length(cert_sha256) = 32", name="cert_sha256_length"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # staff number: the audit actor
    display_name: Mapped[str] = mapped_column(String(100))
    cert_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    enrolled_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(default=False)
    disabled_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Operator {self.id} {'disabled' if self.disabled else 'active'}>"


# --- outbox / inbox -------------------------------------------------------------------------------


class OutboxState(enum.StrEnum):
    PENDING = "pending"  # to be sent (blocks the messages after it)
    SENT = "sent"  # a verified receipt says the central side has it
    FAILED = "failed"  # a verified receipt says the central side refused it for good


class OutboxMessage(Base):
    """One protected message waiting for, or done with, delivery. Content is immutable (trigger)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The relay's one query: the oldest pending message.
        Index("ix_outbox_pending_seq", "seq", sqlite_where=text("state = 'pending'")),
        # AUTOINCREMENT: a seq is never reused, even after the newest row is deleted, so the
        # central side's per-terminal high-water mark stays meaningful.
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    msg_id: Mapped[uuid.UUID] = mapped_column(unique=True)  # idempotency key, UUIDv7
    kind: Mapped[str] = mapped_column(String(64))
    # The already-protected bytes (signed CMP PKIMessage or JWS/JWE), sent identically on every try.
    payload: Mapped[bytes]
    created_at: Mapped[datetime]
    state: Mapped[OutboxState] = mapped_column(
        _enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    receipt: Mapped[bytes | None]  # the signed receipt, kept as evidence
    server_seq: Mapped[int | None]

    def __repr__(self) -> str:
        return (
            f"<OutboxMessage seq={self.seq} {self.msg_id} {self.kind} {self.state} "
            f"attempts={self.attempts} payload={len(self.payload or b'')} bytes>"
        )


class InboxMessage(Base):
    """A message from the central side, applied at most once (UNIQUE msg_id)."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msg_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    server_seq: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes]
    received_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]  # None: no handler for its kind (yet)

    def __repr__(self) -> str:
        applied = self.applied_at is not None
        return f"<InboxMessage {self.msg_id} server_seq={self.server_seq} {self.kind} applied={applied}>"


class SyncState(Base):
    """A single row (id 1, made by the migration): how far the downstream stream has been applied."""

    __tablename__ = "sync_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_cursor: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<SyncState cursor={self.server_cursor}>"


# --- service mode ---------------------------------------------------------------------------------


class TerminalMode(Base):
    """A single row (id 1, made by the migration in service): whether residents may use the
    terminal now, and who set it so since when. Each change is also in the audit chain
    (kiosk.flows.service_mode), which is its history."""

    __tablename__ = "terminal_mode"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        # Out of service always says why and who; back in service carries no reason.
        CheckConstraint(
            "(state = 'in_service' AND reason IS NULL) OR "
            "(state = 'out_of_service' AND reason IS NOT NULL AND operator_id IS NOT NULL)",
            name="reason_when_out_of_service",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[ServiceState] = mapped_column(_enum(ServiceState, "service_state"))
    reason: Mapped[OutOfServiceReason | None] = mapped_column(
        _enum(OutOfServiceReason, "out_of_service_reason")
    )
    operator_id: Mapped[str | None] = mapped_column(String(100))  # None until the first change
    since: Mapped[datetime | None]  # None: in service since installation

    def __repr__(self) -> str:
        return f"<TerminalMode {self.state} reason={self.reason} since={self.since}>"
