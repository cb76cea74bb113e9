"""Ledger and service mode: each certificate's fee on the issuance journal, the terminal's mode.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

A frozen snapshot like 0001: plain SQL and explicit constraint names, no imports from the models.

- `issuance_journal.fee` (paid/free) and `fee_yen`, for the 交付記録簿's (エ) 有償 / (オ) 無償 and the
  fees paid to 機構 (RULES.md, Records). Added with ALTER TABLE ADD COLUMN rather than a batch
  copy: the table keeps its rows and constraints as they are, and SQLite checks the new CHECKs
  against every existing row (3.37+). Rows from before this revision recorded no fee: they get
  the defaults, free and 0 yen.
- `terminal_mode`: one row, in service, until staff change it (kiosk.flows.service_mode).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


FEES = ("paid", "free")
SERVICE_STATES = ("in_service", "out_of_service")
OUT_OF_SERVICE_REASONS = (
    "maintenance",
    "reader_fault",
    "camera_fault",
    "central_unreachable",
    "suspected_misuse",
    "closed",
    "other",
)

ADD_FEE_COLUMNS = (
    "ALTER TABLE issuance_journal ADD COLUMN fee VARCHAR(4) DEFAULT 'free' NOT NULL "
    f"CONSTRAINT ck_issuance_journal_fee CHECK ({_one_of('fee', FEES)})",
    # A column constraint that names the other column too: SQLite allows it, and a table
    # constraint cannot be added without copying the table.
    "ALTER TABLE issuance_journal ADD COLUMN fee_yen INTEGER DEFAULT 0 NOT NULL "
    "CONSTRAINT ck_issuance_journal_fee_yen_matches_fee "
    "CHECK ((fee = 'paid' AND fee_yen > 0) OR (fee = 'free' AND fee_yen = 0))",
)


def upgrade() -> None:
    for statement in ADD_FEE_COLUMNS:
        op.execute(statement)
    op.create_table(
        "terminal_mode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=14), nullable=False),
        sa.Column("reason", sa.String(length=19), nullable=True),
        sa.Column("operator_id", sa.String(length=100), nullable=True),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_terminal_mode_single_row")),
        sa.CheckConstraint(_one_of("state", SERVICE_STATES), name=op.f("ck_terminal_mode_service_state")),
        sa.CheckConstraint(
            _one_of("reason", OUT_OF_SERVICE_REASONS), name=op.f("ck_terminal_mode_out_of_service_reason")
        ),
        sa.CheckConstraint(
            "(state = 'in_service' AND reason IS NULL) OR "
            "(state = 'out_of_service' AND reason IS NOT NULL AND operator_id IS NOT NULL)",
            name=op.f("ck_terminal_mode_reason_when_out_of_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_mode")),
    )
    op.execute("INSERT INTO terminal_mode (id, state) VALUES (1, 'in_service')")


def downgrade() -> None:
    op.drop_table("terminal_mode")
    # fee_yen first: its CHECK names fee, and SQLite drops no column another constraint names.
    op.execute("ALTER TABLE issuance_journal DROP COLUMN fee_yen")
    op.execute("ALTER TABLE issuance_journal DROP COLUMN fee")
