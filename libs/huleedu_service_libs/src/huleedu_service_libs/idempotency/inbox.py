"""A database inbox: the processed event id is written in the handler's own transaction.

For handlers whose effects must be exactly-once (money, irreversible changes): the effects and the
inbox row commit together, so a redelivery finds the row and does nothing, even after Redis has
forgotten the event.

    async with session.begin():
        if not await claim_event(session, "entitlements.consume", envelope.event_id):
            return  # already processed
        ...effects...
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, MetaData, String, func
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

INBOX_TABLE = "processed_events"


class InboxBase(DeclarativeBase):
    metadata = MetaData()


class ProcessedEvent(InboxBase):
    __tablename__ = INBOX_TABLE

    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


async def claim_event(session: AsyncSession, handler: str, event_id: UUID) -> bool:
    """True the first time (the row is now part of the caller's transaction), False for a repeat."""
    statement = (
        insert(ProcessedEvent)
        .values(handler=handler, event_id=event_id)
        .on_conflict_do_nothing(index_elements=["handler", "event_id"])
        .returning(ProcessedEvent.event_id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    return inserted is not None


def create_inbox_table() -> None:
    """Call from a service's Alembic `upgrade()`."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        INBOX_TABLE,
        sa.Column("handler", sa.String(200), primary_key=True),
        sa.Column("event_id", PG_UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=func.now(), nullable=False
        ),
    )


def drop_inbox_table() -> None:
    from alembic import op

    op.drop_table(INBOX_TABLE)
