"""Applications: the terminal that now finishes an issuance whose card came back elsewhere.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

`application.installer_terminal_id`: NULL while the requesting terminal (`terminal_id`, which
stays the record of who received the application) is the one that writes the certificates; set
by a handover (central/handover.py) to the terminal where the card is now.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("installer_terminal_id", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            op.f("fk_application_installer_terminal_id_terminal"),
            "terminal",
            ["installer_terminal_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_constraint(op.f("fk_application_installer_terminal_id_terminal"), type_="foreignkey")
        batch.drop_column("installer_terminal_id")
