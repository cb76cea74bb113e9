"""Unattended PIN reset: a terminal's mode and the PINs it may reset; the reset tickets.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

`terminal.mode` is `counter` (every existing terminal) or `unattended`; `terminal.reset_pins`
names the PINs an unattended terminal may reset ("sign", "auth" or "sign auth"), and is empty for
a counter terminal. `reset_ticket` keeps every ticket request, granted or refused, and what
became of it (docs/unattended.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODES = ("counter", "unattended")
RESET_PINS = ("sign", "auth", "sign auth")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # SQLite cannot add a CHECK to a table: batch mode rebuilds it (PostgreSQL alters in place).
    # Every existing terminal becomes a counter terminal that resets nothing unattended.
    with op.batch_alter_table("terminal") as batch:
        batch.add_column(sa.Column("mode", sa.String(length=32), server_default="counter", nullable=False))
        batch.add_column(sa.Column("reset_pins", sa.String(length=16), server_default="", nullable=False))
        batch.create_check_constraint(op.f("ck_terminal_terminal_mode"), _in("mode", MODES))
        unattended_pins = f"mode = 'unattended' AND {_in('reset_pins', RESET_PINS)}"
        batch.create_check_constraint(
            op.f("ck_terminal_reset_pins"), f"(mode = 'counter' AND reset_pins = '') OR ({unattended_pins})"
        )
    op.create_table(
        "reset_ticket",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("card_id", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=4), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "refused",
                "open",
                "used",
                name="ticket_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("refusal", sa.String(length=32), nullable=True),
        sa.Column("nonce", sa.LargeBinary(), nullable=True),
        sa.Column("proof_serial", sa.String(length=40), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("application_id", sa.String(length=64), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "completed",
                "referred",
                name="reset_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_reason", sa.String(length=32), nullable=True),
        sa.Column("outcome_refusal", sa.String(length=32), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("target IN ('sign', 'auth')", name=op.f("ck_reset_ticket_target")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_reset_ticket_application_id_application")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("fk_reset_ticket_municipality_code_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminal.id"], name=op.f("fk_reset_ticket_terminal_id_terminal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reset_ticket")),
        sa.UniqueConstraint("application_id", name=op.f("uq_reset_ticket_application_id")),
    )
    op.create_index("ix_reset_ticket_card_time", "reset_ticket", ["card_id", "requested_at"], unique=False)
    op.create_index(
        "ix_reset_ticket_terminal_time", "reset_ticket", ["terminal_id", "requested_at"], unique=False
    )
    op.create_index(
        op.f("ix_reset_ticket_municipality_code"), "reset_ticket", ["municipality_code"], unique=False
    )
    op.create_index(op.f("ix_reset_ticket_requested_at"), "reset_ticket", ["requested_at"], unique=False)
    op.create_index(op.f("ix_reset_ticket_proof_serial"), "reset_ticket", ["proof_serial"], unique=False)


def downgrade() -> None:
    # Before 0007 every terminal is a counter terminal: dropping the mode would quietly let an
    # unattended kiosk do everything. Refused while one is active (revoke it first).
    unattended = op.get_bind().execute(
        sa.text("SELECT count(*) FROM terminal WHERE mode = 'unattended' AND status = 'active'")
    )
    if unattended.scalar_one():
        raise RuntimeError("active unattended terminals exist: revoke them before downgrading below 0007")
    # The attempts are records (10 years): a downgrade drops them, so export them first
    # (`central reset-attempts`).
    op.drop_index(op.f("ix_reset_ticket_proof_serial"), table_name="reset_ticket")
    op.drop_index(op.f("ix_reset_ticket_requested_at"), table_name="reset_ticket")
    op.drop_index(op.f("ix_reset_ticket_municipality_code"), table_name="reset_ticket")
    op.drop_index("ix_reset_ticket_terminal_time", table_name="reset_ticket")
    op.drop_index("ix_reset_ticket_card_time", table_name="reset_ticket")
    op.drop_table("reset_ticket")
    with op.batch_alter_table("terminal") as batch:
        batch.drop_constraint(op.f("ck_terminal_reset_pins"), type_="check")
        batch.drop_constraint(op.f("ck_terminal_terminal_mode"), type_="check")
        batch.drop_column("reset_pins")
        batch.drop_column("mode")
