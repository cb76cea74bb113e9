"""Applications: the 一時停止解除 procedure, the kind of a disclosure request, and the certificates a
release revoked.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCEDURES_0001 = (
    "new_issuance",
    "renewal",
    "revocation",
    "key_compromise",
    "pin_reset",
    "face_auth_switch",
    "disclosure",
)
PROCEDURES = (*PROCEDURES_0001[:-1], "suspension_release", "disclosure")  # the model's order
DISCLOSURE_KINDS = ("disclosure", "correction")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # SQLite cannot alter a CHECK: batch mode rebuilds the table (PostgreSQL alters in place).
    with op.batch_alter_table("application") as batch:
        batch.drop_constraint(op.f("ck_application_procedure_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_application_procedure_kind"), _in("kind", PROCEDURES))
        batch.add_column(sa.Column("disclosure_kind", sa.String(length=32), nullable=True))
        batch.create_check_constraint(
            op.f("ck_application_disclosure_kind"), _in("disclosure_kind", DISCLOSURE_KINDS)
        )
        batch.add_column(sa.Column("revoked_certificates", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    # Fails while a suspension-release application exists: its kind has no place in 0004.
    with op.batch_alter_table("application") as batch:
        batch.drop_column("revoked_certificates")
        batch.drop_constraint(op.f("ck_application_disclosure_kind"), type_="check")
        batch.drop_column("disclosure_kind")
        batch.drop_constraint(op.f("ck_application_procedure_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_application_procedure_kind"), _in("kind", PROCEDURES_0001))
