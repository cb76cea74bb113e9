"""Downstream notices to terminals: a per-terminal sequence and the notices themselves.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN with a constant default needs no table rebuild, on SQLite either.
    op.add_column("terminal", sa.Column("notice_seq", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("terminal", sa.Column("notice_acked", sa.BigInteger(), server_default="0", nullable=False))
    op.create_table(
        "terminal_notice",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("msg_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminal.id"], name=op.f("fk_terminal_notice_terminal_id_terminal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_notice")),
        sa.UniqueConstraint("msg_id", name=op.f("uq_terminal_notice_msg_id")),
        sa.UniqueConstraint("terminal_id", "seq", name=op.f("uq_terminal_notice_terminal_id_seq")),
    )
    op.create_index(op.f("ix_terminal_notice_created_at"), "terminal_notice", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_terminal_notice_created_at"), table_name="terminal_notice")
    op.drop_table("terminal_notice")
    with op.batch_alter_table("terminal") as batch:
        batch.drop_column("notice_acked")
        batch.drop_column("notice_seq")
