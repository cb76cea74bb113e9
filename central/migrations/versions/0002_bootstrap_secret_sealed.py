"""Terminal bootstrap secrets are kept sealed, not hashed, so a PBM-protected CMP request can be
verified (docs/central.md §5).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

A hash cannot be turned back into the secret: terminals registered but not yet bootstrapped under
0001 need a new secret (`central terminal new-secret ID`) after this upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("terminal") as batch:
        batch.add_column(sa.Column("bootstrap_secret_sealed", sa.LargeBinary(), nullable=True))
        batch.drop_column("bootstrap_secret_hash")


def downgrade() -> None:
    # The sealed secrets are dropped, not hashed back: re-issue secrets after a downgrade.
    with op.batch_alter_table("terminal") as batch:
        batch.add_column(sa.Column("bootstrap_secret_hash", sa.String(length=64), nullable=True))
        batch.drop_column("bootstrap_secret_sealed")
