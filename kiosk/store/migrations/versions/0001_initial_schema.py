"""Initial schema: application, issuance journal, audit chain, outbox, inbox, sync state.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

A frozen snapshot: plain SQLAlchemy types and explicit constraint names, no imports from the models
(they move on; this file must keep producing the same schema).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


PROCEDURE_KINDS = (
    "new_issuance",
    "renewal",
    "revocation",
    "key_compromise",
    "pin_change",
    "pin_reset",
    "face_auth_switch",
    "suspension_release",
    "disclosure",
)
APPLICATION_STATES = ("open", "submitted", "completed", "rejected", "cancelled")
CERTIFICATE_KINDS = ("sign", "auth")
ISSUANCE_STEPS = (
    "requested",
    "certificate_received",
    "written_to_card",
    "read_back",
    "confirmed",
    "abandoned",
    "revoked_as_destroyed",
)
OUTBOX_STATES = ("pending", "sent", "failed")

# Defence in depth next to the code: a message's bytes never change once enqueued (every retry must
# send identical bytes), a pending message is never deleted (it would be lost), and audit records
# are append-only. Someone with the file can drop these; verify_chain still catches audit edits.
TRIGGERS = (
    """CREATE TRIGGER trg_outbox_content_immutable
    BEFORE UPDATE OF seq, msg_id, kind, payload, created_at ON outbox
    BEGIN SELECT RAISE(ABORT, 'outbox message content is immutable'); END""",
    """CREATE TRIGGER trg_outbox_keep_pending
    BEFORE DELETE ON outbox WHEN OLD.state = 'pending'
    BEGIN SELECT RAISE(ABORT, 'a pending outbox message cannot be deleted'); END""",
    """CREATE TRIGGER trg_audit_record_no_update
    BEFORE UPDATE ON audit_record
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
    """CREATE TRIGGER trg_audit_record_no_delete
    BEFORE DELETE ON audit_record
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
)


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=18), nullable=False),
        sa.Column("state", sa.String(length=9), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sealed_payload", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(_one_of("kind", PROCEDURE_KINDS), name=op.f("ck_application_procedure_kind")),
        sa.CheckConstraint(
            _one_of("state", APPLICATION_STATES), name=op.f("ck_application_application_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
    )
    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_record_hash")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msg_id", sa.Uuid(), nullable=False),
        sa.Column("server_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("msg_id", name=op.f("uq_inbox_msg_id")),
    )
    op.create_index(op.f("ix_inbox_server_seq"), "inbox", ["server_seq"])
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("msg_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=7), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("receipt", sa.LargeBinary(), nullable=True),
        sa.Column("server_seq", sa.Integer(), nullable=True),
        sa.CheckConstraint(_one_of("state", OUTBOX_STATES), name=op.f("ck_outbox_outbox_state")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("msg_id", name=op.f("uq_outbox_msg_id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_pending_seq", "outbox", ["seq"], sqlite_where=sa.text("state = 'pending'"))
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_cursor", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_sync_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
    )
    op.execute("INSERT INTO sync_state (id, server_cursor) VALUES (1, 0)")
    op.create_table(
        "issuance_journal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("cert_kind", sa.String(length=4), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("transaction_id", sa.LargeBinary(length=16), nullable=True),
        sa.Column("request_msg_id", sa.Uuid(), nullable=True),
        sa.Column("closing_msg_id", sa.Uuid(), nullable=True),
        sa.Column("sealed_certificate", sa.LargeBinary(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            _one_of("cert_kind", CERTIFICATE_KINDS), name=op.f("ck_issuance_journal_certificate_kind")
        ),
        sa.CheckConstraint(_one_of("step", ISSUANCE_STEPS), name=op.f("ck_issuance_journal_issuance_step")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_issuance_journal_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuance_journal")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_issuance_journal_transaction_id")),
    )
    op.create_index(op.f("ix_issuance_journal_application_id"), "issuance_journal", ["application_id"])
    op.create_index(op.f("ix_issuance_journal_step"), "issuance_journal", ["step"])
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    for name in (
        "trg_audit_record_no_delete",
        "trg_audit_record_no_update",
        "trg_outbox_keep_pending",
        "trg_outbox_content_immutable",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("issuance_journal")
    op.drop_table("sync_state")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("audit_record")
    op.drop_table("application")
