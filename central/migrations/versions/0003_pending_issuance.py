"""Delayed issuance: p10cr requests answered `waiting` until the issuing worker decides them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_issuance",
        sa.Column("intake_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_der", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["intake_id"],
            ["intake_transaction.id"],
            name=op.f("fk_pending_issuance_intake_id_intake_transaction"),
        ),
        sa.PrimaryKeyConstraint("intake_id", name=op.f("pk_pending_issuance")),
    )
    op.create_index(
        op.f("ix_pending_issuance_received_at"), "pending_issuance", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_issuance_received_at"), table_name="pending_issuance")
    op.drop_table("pending_issuance")
