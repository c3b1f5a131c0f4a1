"""The writer: the outbox row lives and dies with the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from common_core.events.codec import encode_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.outbox import (
    NotInTransactionError,
    OutboxEvent,
    OutboxManager,
    insert_outbox_rows,
)

pytestmark = pytest.mark.integration


class BusinessRuleBroken(Exception):
    pass


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        orders = await connection.scalar(text("SELECT count(*) FROM orders"))
        events = await connection.scalar(text("SELECT count(*) FROM event_outbox"))
    return orders, events


async def _order_with_event(
    engine: AsyncEngine, envelope: EventEnvelope[Any], fail_after_write: bool
) -> None:
    sessions = async_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(text("INSERT INTO orders (label) VALUES ('o-1')"))
        await OutboxManager(wakeup=None).publish_to_outbox(
            session, aggregate_type="order", aggregate_id="o-1", event_data=envelope
        )
        if fail_after_write:
            raise BusinessRuleBroken


async def test_a_commit_keeps_the_business_row_and_the_event_together(
    engine: AsyncEngine, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    await _order_with_event(engine, make_ping("o-1", 1), fail_after_write=False)
    assert await _counts(engine) == (1, 1)


async def test_a_rollback_leaves_neither_the_business_row_nor_the_event(
    engine: AsyncEngine, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    with pytest.raises(BusinessRuleBroken):
        await _order_with_event(engine, make_ping("o-1", 1), fail_after_write=True)
    assert await _counts(engine) == (0, 0)


async def test_the_row_holds_the_complete_envelope_verbatim_with_topic_and_key(
    engine: AsyncEngine, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    envelope = make_ping("o-1", 7, traceparent="00-abc-def-01")
    await _order_with_event(engine, envelope, fail_after_write=False)
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT event_data::text AS payload, event_data, topic, event_type, event_key,"
                    " aggregate_id, aggregate_type, retry_count, published_at, seq"
                    " FROM event_outbox"
                )
            )
        ).one()
    assert row.payload == encode_envelope(envelope).decode()
    assert row.event_data == json.loads(encode_envelope(envelope))
    assert row.event_data["event_id"] == str(envelope.event_id)
    assert (row.topic, row.event_type) == (envelope.event_type, envelope.event_type)
    assert (row.event_key, row.aggregate_id, row.aggregate_type) == ("o-1", "o-1", "order")
    assert (row.retry_count, row.published_at) == (0, None)
    assert row.seq >= 1


async def test_several_events_go_in_together_in_list_order(
    engine: AsyncEngine, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    envelopes = [make_ping("o-2", n) for n in (3, 1, 2)]
    events = [OutboxEvent("order", "o-2", envelope) for envelope in envelopes]
    events.append(OutboxEvent("order", "o-2", make_ping("o-2", 9), topic="t.other", event_key="k"))
    sessions = async_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await OutboxManager(wakeup=None).publish_many_to_outbox(session, events)
        await OutboxManager(wakeup=None).publish_many_to_outbox(session, [])
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT event_data::text AS payload, topic, event_key"
                    " FROM event_outbox ORDER BY seq"
                )
            )
        ).all()
    assert [row.payload for row in rows] == [
        encode_envelope(event.envelope).decode() for event in events
    ]
    assert [(row.topic, row.event_key) for row in rows[-2:]] == [
        (envelopes[-1].event_type, "o-2"),
        ("t.other", "k"),
    ]


async def test_several_events_roll_back_with_the_transaction(
    engine: AsyncEngine, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    events = [OutboxEvent("order", "o-3", make_ping("o-3", n)) for n in (1, 2)]

    async def order_then_broken_rule() -> None:
        async with async_sessionmaker(engine)() as session, session.begin():
            await session.execute(text("INSERT INTO orders (label) VALUES ('o-3')"))
            await OutboxManager(wakeup=None).publish_many_to_outbox(session, events)
            raise BusinessRuleBroken

    with pytest.raises(BusinessRuleBroken):
        await order_then_broken_rule()
    assert await _counts(engine) == (0, 0)


async def test_an_event_written_first_in_a_session_rolls_back_with_it(
    engine: AsyncEngine, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    # The insert goes past SQLAlchemy to asyncpg; it must still be inside the session's BEGIN.
    async with async_sessionmaker(engine)() as session:
        await OutboxManager(wakeup=None).publish_to_outbox(
            session, aggregate_type="order", aggregate_id="o-4", event_data=make_ping("o-4", 1)
        )
        await session.rollback()
    assert await _counts(engine) == (0, 0)


def _bare_url(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _event_then_broken_rule(
    connection: asyncpg.Connection, envelope: EventEnvelope[Any]
) -> None:
    async with connection.transaction():
        await insert_outbox_rows(connection, [OutboxEvent("order", "o-6", envelope)])
        raise BusinessRuleBroken


async def test_a_bare_connection_writes_only_inside_its_transaction(
    engine: AsyncEngine, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    connection = await asyncpg.connect(_bare_url(engine))
    try:
        with pytest.raises(NotInTransactionError):
            await insert_outbox_rows(connection, [OutboxEvent("order", "o-5", make_ping("o-5", 1))])
        async with connection.transaction():
            await connection.execute("INSERT INTO orders (label) VALUES ('o-5')")
            await insert_outbox_rows(connection, [OutboxEvent("order", "o-5", make_ping("o-5", 2))])
        with pytest.raises(BusinessRuleBroken):
            await _event_then_broken_rule(connection, make_ping("o-6", 3))
    finally:
        await connection.close()
    async with engine.connect() as connection_:
        keys = (await connection_.execute(text("SELECT event_key FROM event_outbox"))).scalars()
        assert list(keys) == ["o-5"]
    assert await _counts(engine) == (1, 1)
