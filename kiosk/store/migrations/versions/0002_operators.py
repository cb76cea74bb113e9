"""Operators: the staff cards allowed to operate this terminal.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

A frozen snapshot like 0001: plain SQLAlchemy types and explicit constraint names, no imports from
the models. `operator` binds an operator id (the audit chain's actor) to one staff card by the
SHA-256 of its authentication certificate (kiosk.flows.operator, docs/staff-console.md). Rows are
disabled, never deleted, so every id in the audit chain keeps meaning the same person.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("cert_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("length(cert_sha256) = 32", name=op.f("ck_operator_cert_sha256_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator")),
        sa.UniqueConstraint("cert_sha256", name=op.f("uq_operator_cert_sha256")),
    )


def downgrade() -> None:
    op.drop_table("operator")
