"""The central's tables (docs/central.md §2). Personal data is never stored in the clear: the
application is kept only as the encrypted envelope the terminal sent; the other columns are
identifiers, codes, flags and timestamps.

Relationships are `lazy="raise"`: every query says what it loads, so nothing issues hidden
per-row SELECTs at national volume. Enumerations are VARCHAR + CHECK (no PostgreSQL enum types),
which keeps one migration valid on both backends.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum as PyEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central.db import Base, UtcDateTime
from central.enums import (
    ApplicationStatus,
    AuthorizationOutcome,
    CaName,
    CardStatus,
    CertKind,
    CertStatus,
    DisclosureKind,
    Fee,
    IntakeState,
    LedgerEventKind,
    ProcedureKind,
    ResetOutcomeKind,
    RevocationReason,
    TerminalMode,
    TerminalStatus,
    TicketState,
)

# Autoincrement keys: BIGINT identity on PostgreSQL, the rowid alias INTEGER on SQLite.
BigId = BigInteger().with_variant(Integer, "sqlite")

SERIAL_HEX = 40  # ≤ 20 octets (RFC 5280 §4.1.2.2) as lower-case hex
CARD_ID_HEX = 32  # 16-byte card id (docs/card-admin.md §2)
SHA256_HEX = 64
RESET_PINS = ("sign", "auth", "sign auth")  # terminal.reset_pins of an unattended terminal, in this order


def _enum(enum_cls: type[PyEnum], name: str, *, by_value: bool = True) -> Enum:
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=(lambda members: [m.value for m in members]) if by_value else None,
    )


class Municipality(Base):
    __tablename__ = "municipality"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # 全国地方公共団体コード
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    terminals: Mapped[list[Terminal]] = relationship(back_populates="municipality", lazy="raise")


class Terminal(Base):
    """A counter terminal or kiosk: an RA whose certificate protects its CMP messages and JWS."""

    __tablename__ = "terminal"
    __table_args__ = (
        # A counter terminal resets PINs under staff and names none here; an unattended one names
        # at least one, canonically ordered (central.terminals.register_terminal writes it).
        CheckConstraint(
            "(mode = 'counter' AND reset_pins = '') OR (mode = 'unattended' AND reset_pins IN ("
            + ", ".join(f"'{pins}'" for pins in RESET_PINS)
            + "))",
            name="reset_pins",
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), index=True)
    status: Mapped[TerminalStatus] = mapped_column(_enum(TerminalStatus, "terminal_status"))
    # The current terminal certificate. No foreign key: certificate.terminal_id points back here,
    # and a cycle would need ALTER TABLE, which SQLite cannot do.
    certificate_serial: Mapped[str | None] = mapped_column(String(SERIAL_HEX))
    # The one-time bootstrap secret, RSA-OAEP-sealed to the central's encryption key (a PBM MAC
    # cannot be checked against a hash); erased once the terminal uses its certificate.
    bootstrap_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    bootstrap_used: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Downstream notices (central.notices): the last seq handed out, and the highest the
    # terminal has said it applied (its cursor). Incremented under the row's lock: no gaps.
    notice_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    notice_acked: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # docs/unattended.md: what the terminal may do, and the PINs an unattended one may reset
    # ("sign", "auth" or "sign auth": appdata.unattended.RESET_TARGETS).
    mode: Mapped[TerminalMode] = mapped_column(
        _enum(TerminalMode, "terminal_mode"), default=TerminalMode.COUNTER, server_default="counter"
    )
    reset_pins: Mapped[str] = mapped_column(String(16), default="", server_default="")

    municipality: Mapped[Municipality] = relationship(back_populates="terminals", lazy="raise")


class Card(Base):
    """The card registry: one row per My Number card the central knows."""

    __tablename__ = "card"

    card_id: Mapped[str] = mapped_column(String(CARD_ID_HEX), primary_key=True)  # hex, lower case
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), index=True)
    # An opaque reference the municipality uses for the holder (never name, number or address).
    holder_ref: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[CardStatus] = mapped_column(_enum(CardStatus, "card_status"))
    expiry: Mapped[dt.date] = mapped_column(Date)
    face_auth: Mapped[bool] = mapped_column(Boolean, default=False)  # 顔認証カード
    registered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status_changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    certificates: Mapped[list[Certificate]] = relationship(back_populates="card", lazy="raise")


class Application(Base):
    """One procedure a terminal sent. `envelope` is the JWE exactly as received (規則 7, 44)."""

    __tablename__ = "application"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # chosen by the kiosk (UUID)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminal.id"), index=True)
    # The terminal that finishes the issuance when the card came back elsewhere (central/handover.py);
    # None: the requesting terminal. `terminal_id` stays the record of who received it.
    installer_terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminal.id"))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), index=True)
    card_id: Mapped[str | None] = mapped_column(ForeignKey("card.card_id"), index=True)
    kind: Mapped[ProcedureKind] = mapped_column(_enum(ProcedureKind, "procedure_kind"))
    status: Mapped[ApplicationStatus] = mapped_column(_enum(ApplicationStatus, "application_status"))
    rejection: Mapped[str | None] = mapped_column(String(200))  # refusal code and rule citation
    envelope: Mapped[str] = mapped_column(Text)
    envelope_sha256: Mapped[str] = mapped_column(String(SHA256_HEX))
    signer_serial: Mapped[str] = mapped_column(String(SERIAL_HEX))  # terminal cert that signed the JWS
    fee: Mapped[Fee] = mapped_column(_enum(Fee, "fee"))
    fee_yen: Mapped[int] = mapped_column(Integer, default=0)
    # Card-administration operations this application names, "op:FID" separated by spaces
    # (docs/card-admin.md §3), fixed at receipt from the procedure and the issuance policy.
    operations: Mapped[str] = mapped_column(Text, default="")
    identity_checked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    identity_method: Mapped[str | None] = mapped_column(String(32))  # a method code, not a document
    # 開示・訂正請求: which of the two, so staff can act without opening the envelope.
    disclosure_kind: Mapped[DisclosureKind | None] = mapped_column(_enum(DisclosureKind, "disclosure_kind"))
    # 一時停止解除: the held certificates its acceptance revoked, "kind:serial" separated by spaces,
    # so a re-sent application is answered with the same list.
    revoked_certificates: Mapped[str] = mapped_column(Text, default="", server_default="")
    signed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)  # JWS iat
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)  # JWS exp
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    certificates: Mapped[list[Certificate]] = relationship(back_populates="application", lazy="raise")


class Certificate(Base):
    __tablename__ = "certificate"
    # One certificate of each kind per application: a repeated request returns the first.
    # Terminal certificates have no application (NULLs never collide in a UNIQUE constraint).
    __table_args__ = (UniqueConstraint("application_id", "kind"),)

    serial: Mapped[str] = mapped_column(String(SERIAL_HEX), primary_key=True)
    kind: Mapped[CertKind] = mapped_column(_enum(CertKind, "cert_kind"))
    issuer: Mapped[CaName] = mapped_column(_enum(CaName, "ca_name"), index=True)
    card_id: Mapped[str | None] = mapped_column(ForeignKey("card.card_id"), index=True)
    # Card certificates: the terminal that requested it. Terminal certificates: the terminal certified.
    terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminal.id"), index=True)
    application_id: Mapped[str | None] = mapped_column(ForeignKey("application.id"))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    spki_sha256: Mapped[str] = mapped_column(String(SHA256_HEX), index=True)
    not_before: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    not_after: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    installed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[CertStatus] = mapped_column(_enum(CertStatus, "cert_status"), index=True)
    revocation_reason: Mapped[RevocationReason | None] = mapped_column(
        _enum(RevocationReason, "revocation_reason", by_value=False)
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # time of the CRL entry
    ex_officio: Mapped[bool] = mapped_column(Boolean, default=False)  # 破棄 / 職権失効

    card: Mapped[Card | None] = relationship(back_populates="certificates", lazy="raise")
    application: Mapped[Application | None] = relationship(back_populates="certificates", lazy="raise")


class IntakeTransaction(Base):
    """Idempotent intake (SYNC.md §4, §6): one row per (terminal, CMP transactionID)."""

    __tablename__ = "intake_transaction"
    __table_args__ = (UniqueConstraint("terminal_id", "transaction_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminal.id"))
    transaction_id: Mapped[bytes] = mapped_column(LargeBinary)
    request_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[IntakeState] = mapped_column(_enum(IntakeState, "intake_state"))
    response_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class PendingIssuance(Base):
    """A p10cr accepted for delayed issuance (`central serve --deferred-issuance`): answered
    `waiting`, decided by the issuing worker, whose answer then goes to `intake_transaction`."""

    __tablename__ = "pending_issuance"

    intake_id: Mapped[int] = mapped_column(ForeignKey("intake_transaction.id"), primary_key=True)
    request_der: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class AdminAuthorization(Base):
    """Every card-administration authorisation request, granted or refused (規則 73-3).

    Identifiers are plain columns, not foreign keys: a refused request may name an application or
    card the central does not know, and it must still be logged.
    """

    __tablename__ = "admin_authorization"
    __table_args__ = (
        # Single use: at most one grant per (application, operation), whatever the challenge.
        Index(
            "uq_admin_authorization_grant",
            "application_id",
            "operation",
            unique=True,
            sqlite_where=text("outcome = 'granted'"),
            postgresql_where=text("outcome = 'granted'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    card_id: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str | None] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(200))  # hex of the DER operation descriptor
    challenge: Mapped[str] = mapped_column(String(64))  # hex
    response: Mapped[str | None] = mapped_column(String(64))  # hex, grants only
    outcome: Mapped[AuthorizationOutcome] = mapped_column(_enum(AuthorizationOutcome, "auth_outcome"))
    reason: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LedgerEvent(Base):
    """Append-only inputs of the 交付記録簿. `ledger_day` is the JST day the certificate was issued,
    so every later event of a certificate lands on its issuance row (要領 ケ: (ウ) ⊆ (イ))."""

    __tablename__ = "ledger_event"
    __table_args__ = (Index("ix_ledger_event_day", "municipality_code", "ledger_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[LedgerEventKind] = mapped_column(_enum(LedgerEventKind, "ledger_event_kind"))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"))
    ledger_day: Mapped[dt.date] = mapped_column(Date)
    cert_kind: Mapped[CertKind] = mapped_column(_enum(CertKind, "ledger_cert_kind"))
    serial: Mapped[str] = mapped_column(ForeignKey("certificate.serial"), index=True)
    application_id: Mapped[str | None] = mapped_column(ForeignKey("application.id"))
    fee: Mapped[Fee | None] = mapped_column(_enum(Fee, "ledger_fee"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class TerminalNotice(Base):
    """A notice for one terminal (appdata.notices), kept until the terminal's cursor passes it
    and the retention is over (central.notices.prune)."""

    __tablename__ = "terminal_notice"
    __table_args__ = (UniqueConstraint("terminal_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminal.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    msg_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class ResetTicket(Base):
    """One unattended PIN-reset attempt (central/unattended.py, docs/unattended.md): the ticket
    request, granted or refused, and what became of it — the application under it, the central's
    refusal, the outcome the terminal reported. Kept like the PIN forms, 10 years (要綱 7).

    Identifiers and codes only: no face data, no signature. `card_id` is a plain column, not a
    foreign key: a refused request may name a card the registry does not know, and is recorded.
    """

    __tablename__ = "reset_ticket"
    __table_args__ = (
        CheckConstraint("target IN ('sign', 'auth')", name="target"),
        # The rate limits count a card's and a terminal's tickets in a rolling window.
        Index("ix_reset_ticket_card_time", "card_id", "requested_at"),
        Index("ix_reset_ticket_terminal_time", "terminal_id", "requested_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random hex; the ticket id
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminal.id"))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), index=True)
    card_id: Mapped[str] = mapped_column(String(CARD_ID_HEX))
    target: Mapped[str] = mapped_column(String(4))  # the PIN to reset: sign / auth
    state: Mapped[TicketState] = mapped_column(_enum(TicketState, "ticket_state"))
    # The central's refusal code (appdata.unattended.Refusal): of the request (state refused) or
    # of the application under the ticket (state used, application rejected).
    refusal: Mapped[str | None] = mapped_column(String(32))
    nonce: Mapped[bytes | None] = mapped_column(LargeBinary)  # granted tickets: what the card signs
    # The certificate of the other PIN's key whose signature proves the attempt (granted tickets).
    # Indexed: the retention purge asks, for every card certificate, whether a ticket names it.
    proof_serial: Mapped[str | None] = mapped_column(String(SERIAL_HEX), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    application_id: Mapped[str | None] = mapped_column(ForeignKey("application.id"), unique=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The terminal's report (appdata.unattended.ResetOutcome): outcome, Reason code, and the
    # refusal code it was shown, when the reason is the central's refusal.
    outcome: Mapped[ResetOutcomeKind | None] = mapped_column(_enum(ResetOutcomeKind, "reset_outcome"))
    outcome_reason: Mapped[str | None] = mapped_column(String(32))
    outcome_refusal: Mapped[str | None] = mapped_column(String(32))
    reported_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class CrlState(Base):
    """The latest CRL of each CA; `crl_number` only ever grows (RFC 5280 §5.2.3)."""

    __tablename__ = "crl_state"

    ca: Mapped[CaName] = mapped_column(_enum(CaName, "crl_ca"), primary_key=True)
    crl_number: Mapped[int] = mapped_column(BigInteger)
    this_update: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    next_update: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    der: Mapped[bytes] = mapped_column(LargeBinary)
