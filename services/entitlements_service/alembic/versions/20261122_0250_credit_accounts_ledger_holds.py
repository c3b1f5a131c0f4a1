"""Credit accounts, ledger, authorizations (holds), admin audit log and the inbox

Revision ID: 20261122_0250
Revises:
Create Date: 2026-11-22 02:50:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from huleedu_service_libs.idempotency import create_inbox_table, drop_inbox_table

revision = "20261122_0250"
down_revision = None
branch_labels = None
depends_on = None

SUBJECT_FK = (
    ["subject_type", "subject_id"],
    ["credit_balances.subject_type", "credit_balances.subject_id"],
)


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "credit_balances",
        sa.Column("subject_type", sa.String(8), nullable=False),
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("subject_type", "subject_id", name="pk_credit_balances"),
        sa.CheckConstraint(
            "subject_type IN ('user', 'org')", name="ck_credit_balances_subject_type"
        ),
        sa.CheckConstraint(
            "held >= 0 AND held <= balance", name="ck_credit_balances_held_within_balance"
        ),
    )
    op.create_table(
        "credit_ledger",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("subject_type", sa.String(8), nullable=False),
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("held_delta", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("held_after", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(600), nullable=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("authorization_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("org_id", sa.String(255), nullable=True),
        sa.Column("resource_id", sa.String(1000), nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("correlation_id", postgresql.UUID(as_uuid=True), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_credit_ledger"),
        sa.UniqueConstraint("seq", name="uq_credit_ledger_seq"),
        sa.UniqueConstraint("idempotency_key", name="uq_credit_ledger_idempotency_key"),
        sa.ForeignKeyConstraint(*SUBJECT_FK, name="fk_credit_ledger_subject_type_credit_balances"),
        sa.CheckConstraint(
            "reason IN ('grant', 'signup_bonus', 'consumption', 'hold', 'hold_release',"
            " 'hold_expiry', 'admin_adjustment')",
            name="ck_credit_ledger_reason",
        ),
        sa.CheckConstraint(
            "balance_after >= 0 AND held_after >= 0", name="ck_credit_ledger_non_negative_after"
        ),
    )
    op.create_index(
        "ix_credit_ledger_subject_type_subject_id_seq",
        "credit_ledger",
        ["subject_type", "subject_id", "seq"],
    )
    op.create_index("ix_credit_ledger_reason_seq", "credit_ledger", ["reason", "seq"])
    op.create_table(
        "credit_authorizations",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("subject_type", sa.String(8), nullable=False),
        sa.Column("subject_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("org_id", sa.String(255), nullable=True),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.Integer(), nullable=False),
        sa.Column("credits_reserved", sa.BigInteger(), nullable=False),
        sa.Column("credits_consumed", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(600), nullable=False),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(1000), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_credit_authorizations"),
        sa.UniqueConstraint("idempotency_key", name="uq_credit_authorizations_idempotency_key"),
        sa.ForeignKeyConstraint(
            *SUBJECT_FK, name="fk_credit_authorizations_subject_type_credit_balances"
        ),
        sa.CheckConstraint(
            "status IN ('active', 'consumed', 'released', 'expired')",
            name="ck_credit_authorizations_status",
        ),
        sa.CheckConstraint(
            "credits_consumed >= 0 AND credits_consumed <= credits_reserved",
            name="ck_credit_authorizations_consumed",
        ),
    )
    op.create_index(
        "ix_credit_authorizations_active_expiry",
        "credit_authorizations",
        ["expires_at"],
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_credit_authorizations_subject_type_subject_id_status",
        "credit_authorizations",
        ["subject_type", "subject_id", "status"],
    )
    op.create_table(
        "admin_audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.Column("correlation_id", postgresql.UUID(as_uuid=True), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_admin_audit_log"),
    )
    create_inbox_table()


def downgrade() -> None:
    drop_inbox_table()
    op.drop_table("admin_audit_log")
    op.drop_table("credit_authorizations")
    op.drop_table("credit_ledger")
    op.drop_table("credit_balances")
