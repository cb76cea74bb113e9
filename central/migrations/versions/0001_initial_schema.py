"""Initial schema of the central CA core (docs/central.md §2).

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22

Storage types are spelled out (DateTime(timezone=True), not the models' UtcDateTime decorator) so
this revision stays valid however the Python models evolve.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_authorization",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=True),
        sa.Column("operation", sa.String(length=200), nullable=False),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("response", sa.String(length=64), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "granted",
                "repeated",
                "refused",
                name="auth_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_authorization")),
    )
    op.create_index(
        op.f("ix_admin_authorization_application_id"), "admin_authorization", ["application_id"], unique=False
    )
    op.create_index(
        "uq_admin_authorization_grant",
        "admin_authorization",
        ["application_id", "operation"],
        unique=True,
        sqlite_where=sa.text("outcome = 'granted'"),
        postgresql_where=sa.text("outcome = 'granted'"),
    )

    op.create_table(
        "crl_state",
        sa.Column(
            "ca",
            sa.Enum(
                "root",
                "sign",
                "auth",
                "terminal",
                name="crl_ca",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("crl_number", sa.BigInteger(), nullable=False),
        sa.Column("this_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("ca", name=op.f("pk_crl_state")),
    )
    op.create_table(
        "municipality",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_municipality")),
    )
    op.create_table(
        "card",
        sa.Column("card_id", sa.String(length=32), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("holder_ref", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "operating",
                "suspended",
                "abolished",
                "expired",
                name="card_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("face_auth", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_code"], ["municipality.code"], name=op.f("fk_card_municipality_code_municipality")
        ),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_card")),
    )
    op.create_index(op.f("ix_card_holder_ref"), "card", ["holder_ref"], unique=False)
    op.create_index(op.f("ix_card_municipality_code"), "card", ["municipality_code"], unique=False)

    op.create_table(
        "terminal",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "revoked",
                name="terminal_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("certificate_serial", sa.String(length=40), nullable=True),
        sa.Column("bootstrap_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("bootstrap_used", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("fk_terminal_municipality_code_municipality"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal")),
    )
    op.create_index(op.f("ix_terminal_municipality_code"), "terminal", ["municipality_code"], unique=False)

    op.create_table(
        "application",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("card_id", sa.String(length=32), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "new_issuance",
                "renewal",
                "revocation",
                "key_compromise",
                "pin_reset",
                "face_auth_switch",
                "disclosure",
                name="procedure_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "approved",
                "rejected",
                name="application_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("rejection", sa.String(length=200), nullable=True),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("envelope_sha256", sa.String(length=64), nullable=False),
        sa.Column("signer_serial", sa.String(length=40), nullable=False),
        sa.Column(
            "fee",
            sa.Enum("paid", "free", name="fee", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("fee_yen", sa.Integer(), nullable=False),
        sa.Column("operations", sa.Text(), nullable=False),
        sa.Column("identity_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("identity_method", sa.String(length=32), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["card.card_id"], name=op.f("fk_application_card_id_card")),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("fk_application_municipality_code_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminal.id"], name=op.f("fk_application_terminal_id_terminal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
    )
    op.create_index(op.f("ix_application_card_id"), "application", ["card_id"], unique=False)
    op.create_index(
        op.f("ix_application_municipality_code"), "application", ["municipality_code"], unique=False
    )
    op.create_index(op.f("ix_application_terminal_id"), "application", ["terminal_id"], unique=False)

    op.create_table(
        "intake_transaction",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.LargeBinary(), nullable=False),
        sa.Column("request_sha256", sa.LargeBinary(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "received",
                "answered",
                name="intake_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("response_der", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminal.id"], name=op.f("fk_intake_transaction_terminal_id_terminal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_transaction")),
        sa.UniqueConstraint(
            "terminal_id", "transaction_id", name=op.f("uq_intake_transaction_terminal_id_transaction_id")
        ),
    )
    op.create_table(
        "certificate",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "sign",
                "auth",
                "terminal",
                name="cert_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "issuer",
            sa.Enum(
                "root",
                "sign",
                "auth",
                "terminal",
                name="ca_name",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("card_id", sa.String(length=32), nullable=True),
        sa.Column("terminal_id", sa.String(length=64), nullable=True),
        sa.Column("application_id", sa.String(length=64), nullable=True),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("spki_sha256", sa.String(length=64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "good",
                "hold",
                "revoked",
                name="cert_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "revocation_reason",
            sa.Enum(
                "UNSPECIFIED",
                "KEY_COMPROMISE",
                "SUPERSEDED",
                "CESSATION_OF_OPERATION",
                "CERTIFICATE_HOLD",
                name="revocation_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ex_officio", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_certificate_application_id_application")
        ),
        sa.ForeignKeyConstraint(["card_id"], ["card.card_id"], name=op.f("fk_certificate_card_id_card")),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminal.id"], name=op.f("fk_certificate_terminal_id_terminal")
        ),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_certificate")),
        sa.UniqueConstraint("application_id", "kind", name=op.f("uq_certificate_application_id_kind")),
    )
    op.create_index(op.f("ix_certificate_card_id"), "certificate", ["card_id"], unique=False)
    op.create_index(op.f("ix_certificate_issuer"), "certificate", ["issuer"], unique=False)
    op.create_index(op.f("ix_certificate_spki_sha256"), "certificate", ["spki_sha256"], unique=False)
    op.create_index(op.f("ix_certificate_status"), "certificate", ["status"], unique=False)
    op.create_index(op.f("ix_certificate_terminal_id"), "certificate", ["terminal_id"], unique=False)

    op.create_table(
        "ledger_event",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "request_answered",
                "installed",
                "destroyed",
                "revoked_ex_officio",
                "revoked",
                name="ledger_event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("ledger_day", sa.Date(), nullable=False),
        sa.Column(
            "cert_kind",
            sa.Enum(
                "sign",
                "auth",
                "terminal",
                name="ledger_cert_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=True),
        sa.Column(
            "fee",
            sa.Enum("paid", "free", name="ledger_fee", native_enum=False, create_constraint=True, length=32),
            nullable=True,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_ledger_event_application_id_application")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("fk_ledger_event_municipality_code_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["serial"], ["certificate.serial"], name=op.f("fk_ledger_event_serial_certificate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_event")),
    )
    op.create_index("ix_ledger_event_day", "ledger_event", ["municipality_code", "ledger_day"], unique=False)
    op.create_index(op.f("ix_ledger_event_serial"), "ledger_event", ["serial"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ledger_event_serial"), table_name="ledger_event")
    op.drop_index("ix_ledger_event_day", table_name="ledger_event")

    op.drop_table("ledger_event")
    op.drop_index(op.f("ix_certificate_terminal_id"), table_name="certificate")
    op.drop_index(op.f("ix_certificate_status"), table_name="certificate")
    op.drop_index(op.f("ix_certificate_spki_sha256"), table_name="certificate")
    op.drop_index(op.f("ix_certificate_issuer"), table_name="certificate")
    op.drop_index(op.f("ix_certificate_card_id"), table_name="certificate")

    op.drop_table("certificate")
    op.drop_table("intake_transaction")
    op.drop_index(op.f("ix_application_terminal_id"), table_name="application")
    op.drop_index(op.f("ix_application_municipality_code"), table_name="application")
    op.drop_index(op.f("ix_application_card_id"), table_name="application")

    op.drop_table("application")
    op.drop_index(op.f("ix_terminal_municipality_code"), table_name="terminal")

    op.drop_table("terminal")
    op.drop_index(op.f("ix_card_municipality_code"), table_name="card")
    op.drop_index(op.f("ix_card_holder_ref"), table_name="card")

    op.drop_table("card")
    op.drop_table("municipality")
    op.drop_table("crl_state")
    op.drop_index(
        "uq_admin_authorization_grant",
        table_name="admin_authorization",
        sqlite_where=sa.text("outcome = 'granted'"),
        postgresql_where=sa.text("outcome = 'granted'"),
    )
    op.drop_index(op.f("ix_admin_authorization_application_id"), table_name="admin_authorization")

    op.drop_table("admin_authorization")
