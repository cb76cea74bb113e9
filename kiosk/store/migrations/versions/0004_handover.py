"""Handover: an issuance finished at another terminal of the municipality.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

A frozen snapshot like 0001: plain SQL types and explicit constraint names, no imports from the
models.

- `issuance_journal.step` may be `handed_over`: the central handed this terminal's certificate to
  the terminal where the card came back (docs/sync-protocol.md, "Handover").
- `issuance_journal.taken_over`: the central's id of another terminal's application whose
  certificate this terminal installs; NULL for this terminal's own requests.

SQLite cannot alter a CHECK constraint, so the table is rebuilt from the full definition below
(the columns of 0001 and 0003, every constraint named and placed as they made it) and its rows copied.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


CERTIFICATE_KINDS = ("sign", "auth")
STEPS_0001 = (
    "requested",
    "certificate_received",
    "written_to_card",
    "read_back",
    "confirmed",
    "abandoned",
    "revoked_as_destroyed",
)
STEPS = (*STEPS_0001, "handed_over")
FEES = ("paid", "free")


def _journal(steps: tuple[str, ...], *, taken_over: bool) -> sa.Table:
    columns: list[sa.Column[object]] = [
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
        # Column constraints, as 0003 added them: 0003's downgrade drops the columns with them.
        sa.Column(
            "fee",
            sa.String(length=4),
            sa.CheckConstraint(_one_of("fee", FEES), name="ck_issuance_journal_fee"),
            server_default="free",
            nullable=False,
        ),
        sa.Column(
            "fee_yen",
            sa.Integer(),
            sa.CheckConstraint(
                "(fee = 'paid' AND fee_yen > 0) OR (fee = 'free' AND fee_yen = 0)",
                name="ck_issuance_journal_fee_yen_matches_fee",
            ),
            server_default=sa.text("0"),
            nullable=False,
        ),
    ]
    if taken_over:
        columns.append(sa.Column("taken_over", sa.String(length=100), nullable=True))
    return sa.Table(
        "issuance_journal",
        sa.MetaData(),
        *columns,
        sa.CheckConstraint(
            _one_of("cert_kind", CERTIFICATE_KINDS), name="ck_issuance_journal_certificate_kind"
        ),
        sa.CheckConstraint(_one_of("step", steps), name="ck_issuance_journal_issuance_step"),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name="fk_issuance_journal_application_id_application"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_issuance_journal"),
        sa.UniqueConstraint("transaction_id", name="uq_issuance_journal_transaction_id"),
        sa.Index("ix_issuance_journal_application_id", "application_id"),
        sa.Index("ix_issuance_journal_step", "step"),
    )


def upgrade() -> None:
    with op.batch_alter_table(
        "issuance_journal", copy_from=_journal(STEPS_0001, taken_over=False), recreate="always"
    ) as batch:
        batch.drop_constraint(op.f("ck_issuance_journal_issuance_step"), type_="check")
        batch.create_check_constraint(op.f("ck_issuance_journal_issuance_step"), _one_of("step", STEPS))
        batch.add_column(sa.Column("taken_over", sa.String(length=100), nullable=True))


def downgrade() -> None:
    # Fails while an entry stands at handed_over: the step has no place in 0003.
    with op.batch_alter_table(
        "issuance_journal", copy_from=_journal(STEPS, taken_over=True), recreate="always"
    ) as batch:
        batch.drop_column("taken_over")
        batch.drop_constraint(op.f("ck_issuance_journal_issuance_step"), type_="check")
        batch.create_check_constraint(op.f("ck_issuance_journal_issuance_step"), _one_of("step", STEPS_0001))
