"""The one `event_outbox` table every service shares (seed 000: no service-local outbox model).

It lives in its own MetaData, so a service adds it to its Alembic environment with
`with_event_outbox(Base.metadata)` and creates it with the migration helper in `migration.py`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, MetaData, String, Text, text
from sqlalchemy.dialects.postgresql import JSON, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TABLE_NAME = "event_outbox"
UNPUBLISHED_INDEX = "ix_event_outbox_unpublished"
AGGREGATE_INDEX = "ix_event_outbox_aggregate"
# Beyond the two shared names, one index per query that needs it:
DUE_INDEX = "ix_event_outbox_due"  # the relay's claim: due rows in (next_attempt_at, seq) order
KEY_ORDER_INDEX = "ix_event_outbox_key_order"  # earlier pending rows of the same key
PUBLISHED_INDEX = "ix_event_outbox_published"  # retention: published rows by age

PENDING = "published_at IS NULL"
CLAIMABLE = "published_at IS NULL AND dead_lettered_at IS NULL"
PUBLISHED = "published_at IS NOT NULL"


class OutboxBase(DeclarativeBase):
    metadata = MetaData()


class EventOutbox(OutboxBase):
    __tablename__ = TABLE_NAME

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    # Insertion order; the relay publishes the rows of one event_key in this order.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False)
    aggregate_id: Mapped[str] = mapped_column(String(255), nullable=False)
    aggregate_type: Mapped[str] = mapped_column(String(100), nullable=False)
    event_type: Mapped[str] = mapped_column(String(255), nullable=False)
    # JSON, not JSONB: the text is kept exactly as written and published byte for byte.
    event_data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    event_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    topic: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()"), nullable=False
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    retry_count: Mapped[int] = mapped_column(Integer, server_default=text("0"), nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()"), nullable=False
    )
    dead_lettered_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )

    __table_args__ = (
        Index(UNPUBLISHED_INDEX, "published_at", "created_at", postgresql_where=text(PENDING)),
        Index(AGGREGATE_INDEX, "aggregate_type", "aggregate_id"),
        Index(DUE_INDEX, "next_attempt_at", "seq", postgresql_where=text(CLAIMABLE)),
        Index(KEY_ORDER_INDEX, "event_key", "seq", postgresql_where=text(PENDING)),
        Index(PUBLISHED_INDEX, "published_at", postgresql_where=text(PUBLISHED)),
    )


def with_event_outbox(service_metadata: MetaData) -> MetaData:
    """A MetaData holding the service's tables and event_outbox, for Alembic's target_metadata."""
    combined = MetaData(naming_convention=service_metadata.naming_convention)
    for table in service_metadata.tables.values():
        table.to_metadata(combined)
    if TABLE_NAME not in combined.tables:
        OutboxBase.metadata.tables[TABLE_NAME].to_metadata(combined)
    return combined
