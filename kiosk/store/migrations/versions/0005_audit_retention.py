"""Audit retention: the operation record's oldest records may be cut after ten years (規則 82).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Why a migration: the audit chain's delete trigger (0001) refuses every DELETE, so records could
never go, not even after the ten years 規則 82 keeps electronic records. It is replaced by one that
lets a record go only while the chain's head is an `audit.purged` record whose subject
(`audit_record:<id>`) covers it: the record of the cut must be written, in the same transaction,
before anything is cut (kiosk.store.audit.purge_prefix), and the cut can only take the front of
the chain up to the id it names. Everything else is refused as before. Same name, so 0001's
downgrade still finds it; no table changes.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY = """CREATE TRIGGER trg_audit_record_no_delete
    BEFORE DELETE ON audit_record
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"""

# 'audit_record:' is 13 characters: the covered id starts at the 14th. The head is found by its
# primary key, so the check costs two index lookups per deleted row.
PREFIX_ONLY = """CREATE TRIGGER trg_audit_record_no_delete
    BEFORE DELETE ON audit_record
    WHEN OLD.id > COALESCE((
        SELECT CAST(substr(head.subject, 14) AS INTEGER) FROM audit_record AS head
        WHERE head.id = (SELECT max(id) FROM audit_record)
          AND head.action = 'audit.purged' AND head.subject LIKE 'audit_record:%'
    ), 0)
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"""


def upgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_audit_record_no_delete")
    op.execute(PREFIX_ONLY)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_audit_record_no_delete")
    op.execute(APPEND_ONLY)
