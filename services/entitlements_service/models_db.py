"""This service's tables; the inbox (`processed_events`) and `event_outbox` are the library's."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from huleedu_service_libs.idempotency import InboxBase
from huleedu_service_libs.outbox.model import with_event_outbox
from huleedu_service_libs.schema import service_metadata

SUBJECT_TYPES = "subject_type IN ('user', 'org')"
REASONS = (
    "reason IN ('grant', 'signup_bonus', 'consumption', 'hold', 'hold_release', 'hold_expiry',"
    " 'admin_adjustment')"
)
STATUSES = "status IN ('active', 'consumed', 'released', 'expired')"


class Base(DeclarativeBase):
    metadata = service_metadata()


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class CreditAccountRow(Base):
    __tablename__ = "credit_balances"

    subject_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False)
    held: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(SUBJECT_TYPES, name="subject_type"),
        CheckConstraint("held >= 0 AND held <= balance", name="held_within_balance"),
    )


class LedgerEntryRow(Base):
    __tablename__ = "credit_ledger"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False, unique=True)
    subject_type: Mapped[str] = mapped_column(String(8), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(255), nullable=False)
    delta: Mapped[int] = mapped_column(BigInteger, nullable=False)
    held_delta: Mapped[int] = mapped_column(BigInteger, nullable=False)
    balance_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    held_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(600), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    metric: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    authorization_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    user_id: Mapped[str | None] = mapped_column(String(255))
    org_id: Mapped[str | None] = mapped_column(String(255))
    resource_id: Mapped[str | None] = mapped_column(String(1000))
    actor: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    correlation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        ForeignKeyConstraint(
            ["subject_type", "subject_id"],
            ["credit_balances.subject_type", "credit_balances.subject_id"],
        ),
        CheckConstraint(REASONS, name="reason"),
        CheckConstraint("balance_after >= 0 AND held_after >= 0", name="non_negative_after"),
        Index(None, "subject_type", "subject_id", "seq"),
        Index(None, "reason", "seq"),
    )


class AuthorizationRow(Base):
    __tablename__ = "credit_authorizations"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(8), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    org_id: Mapped[str | None] = mapped_column(String(255))
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_cost: Mapped[int] = mapped_column(Integer, nullable=False)
    credits_reserved: Mapped[int] = mapped_column(BigInteger, nullable=False)
    credits_consumed: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(600), nullable=False, unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_id: Mapped[str | None] = mapped_column(String(1000))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        ForeignKeyConstraint(
            ["subject_type", "subject_id"],
            ["credit_balances.subject_type", "credit_balances.subject_id"],
        ),
        CheckConstraint(STATUSES, name="status"),
        CheckConstraint(
            "credits_consumed >= 0 AND credits_consumed <= credits_reserved", name="consumed"
        ),
        Index(
            "ix_credit_authorizations_active_expiry",
            "expires_at",
            postgresql_where=text("status = 'active'"),
        ),
        Index(None, "subject_type", "subject_id", "status"),
    )


class AdminAuditRow(Base):
    __tablename__ = "admin_audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    actor: Mapped[str] = mapped_column(String(255), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    correlation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = _created()


def migration_metadata() -> MetaData:
    """Everything the Alembic chain creates: these tables, the inbox and event_outbox."""
    combined = with_event_outbox(Base.metadata)
    for table in InboxBase.metadata.tables.values():
        table.to_metadata(combined)
    return combined
