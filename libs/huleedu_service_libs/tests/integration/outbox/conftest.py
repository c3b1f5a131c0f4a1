"""Fixtures for the outbox's integration tests: a migrated database, envelopes, writers,
publisher doubles, and reading a whole topic back from Kafka."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.config.settings import Environment
from huleedu_service_libs.kafka import OutgoingMessage, header_value
from huleedu_service_libs.outbox import OutboxManager, OutboxSettings, outbox_settings_for
from huleedu_service_libs.outbox.template import write_outbox_revision

PING_TYPE = "huleedu.outbox_test.ping.v1"
SERVICE = "outbox_test_service"

ENV_PY = """
from sqlalchemy import Column, Integer, MetaData, String, Table

from huleedu_service_libs.migrations import run_alembic_migrations
from huleedu_service_libs.outbox import with_event_outbox

metadata = MetaData()
Table("orders", metadata, Column("id", Integer, primary_key=True), Column("label", String(50)))

def no_settings() -> str:
    raise RuntimeError("the harness always passes -x database_url")

run_alembic_migrations(with_event_outbox(metadata), default_url=no_settings)
"""

ORDERS_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "20260101_0000"
down_revision = None

def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(50)),
    )

def downgrade() -> None:
    op.drop_table("orders")
"""


class Ping(BaseModel):
    key: str
    n: int


def ping(key: str, n: int, **metadata: Any) -> EventEnvelope[Ping]:
    return EventEnvelope[Ping](
        event_type=PING_TYPE,
        source_service=SERVICE,
        correlation_id=uuid.uuid4(),
        data=Ping(key=key, n=n),
        metadata=metadata,
    )


@pytest.fixture(scope="session")
def outbox_service_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service's Alembic chain: its own table, then the outbox revision from the template."""
    service_dir = tmp_path_factory.mktemp("outbox_service")
    (service_dir / "alembic.ini").write_text("[alembic]\nscript_location = alembic\n")
    versions = service_dir / "alembic" / "versions"
    versions.mkdir(parents=True)
    (service_dir / "alembic" / "env.py").write_text(ENV_PY)
    (versions / "20260101_0000_create_orders.py").write_text(ORDERS_REVISION)
    write_outbox_revision(versions, "20260101_0000", datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    return service_dir


@pytest.fixture
async def outbox_database(
    migrated_database: Callable[[Path], Awaitable[str]], outbox_service_dir: Path
) -> str:
    return await migrated_database(outbox_service_dir)


@pytest.fixture
async def engine(outbox_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(outbox_database, pool_size=10)
    yield engine
    await engine.dispose()


@pytest.fixture
def settings() -> OutboxSettings:
    return outbox_settings_for(Environment.TESTING, batch_size=100)


WritePings = Callable[..., Awaitable[list[EventEnvelope[Ping]]]]


@pytest.fixture
def write_pings(engine: AsyncEngine) -> WritePings:
    """Commits the pings in order, `per_transaction` at a time (each with an order row)."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    manager = OutboxManager(wakeup=None)

    async def write(
        pings: Sequence[tuple[str, int]], topic: str, per_transaction: int = 1
    ) -> list[EventEnvelope[Ping]]:
        envelopes = [ping(key, n) for key, n in pings]
        for start in range(0, len(envelopes), per_transaction):
            async with sessions() as session, session.begin():
                for envelope in envelopes[start : start + per_transaction]:
                    await _order_and_event(session, manager, envelope, topic)
        return envelopes

    return write


async def _order_and_event(
    session: Any, manager: OutboxManager, envelope: EventEnvelope[Ping], topic: str
) -> None:
    key = envelope.data.key
    await session.execute(text("INSERT INTO orders (label) VALUES (:key)"), {"key": key})
    await manager.publish_to_outbox(
        session, aggregate_type="order", aggregate_id=key, event_data=envelope, topic=topic
    )


class MessageTooLargeError(Exception):
    pass


class ScriptedPublisher:
    """The in-memory Kafka: records what it accepted; can be taken down, or refuse events.

    Like KafkaBus, a refused event raises out of send_batch (the client rejects it before
    sending), after the messages ahead of it in the call were already accepted.
    """

    def __init__(self) -> None:
        self.accepted: list[OutgoingMessage] = []
        self.down = False
        self.refused_event_ids: set[str] = set()
        self.batches = 0

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        self.batches += 1
        await asyncio.sleep(0)
        if self.down:
            return [ConnectionError("broker unreachable") for _ in messages]
        for message in messages:
            if header_value(message.headers, "event_id") in self.refused_event_ids:
                raise MessageTooLargeError("message too large")
            self.accepted.append(message)
        return [None for _ in messages]

    def event_ids(self) -> list[str | None]:
        return [header_value(message.headers, "event_id") for message in self.accepted]


@pytest.fixture
def publisher() -> ScriptedPublisher:
    return ScriptedPublisher()


@pytest.fixture
def make_ping() -> Callable[..., EventEnvelope[Ping]]:
    return ping


class KafkaHistory:
    """What a topic holds, read back in (partition, offset) order."""

    def __init__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        self.records = sorted(records, key=lambda record: (record.partition, record.offset))
        self.copies: dict[str, list[bytes]] = defaultdict(list)
        self.first_seen_by_key: dict[str, list[int]] = defaultdict(list)
        for record in self.records:
            envelope = json.loads(record.value)
            event_id = envelope["event_id"]
            if event_id not in self.copies:
                self.first_seen_by_key[envelope["data"]["key"]].append(envelope["data"]["n"])
            self.copies[event_id].append(record.value)

    def event_ids(self) -> set[str]:
        return set(self.copies)

    def duplicates(self) -> int:
        return len(self.records) - len(self.copies)

    def every_copy_is_identical(self) -> bool:
        return all(len(set(copies)) == 1 for copies in self.copies.values())

    def keys_out_of_order(self) -> list[str]:
        return [key for key, ns in self.first_seen_by_key.items() if ns != sorted(ns)]


async def read_topic(bootstrap: str, topic: str) -> KafkaHistory:
    """Every record on every partition of the topic, up to its current end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        return KafkaHistory(await _read_until(consumer, ends))
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(100):
        if partitions := consumer.partitions_for_topic(topic):
            return set(partitions)
        await consumer.topics()
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no partitions for {topic}")


async def _read_until(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]
) -> list[ConsumerRecord[bytes, bytes]]:
    records: list[ConsumerRecord[bytes, bytes]] = []
    while await _behind(consumer, ends):
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)
    return records


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    positions = [await consumer.position(partition) for partition in ends]
    return any(position < end for position, end in zip(positions, ends.values(), strict=True))


ReadHistory = Callable[..., Awaitable[KafkaHistory]]


@pytest.fixture
def read_history(kafka_bootstrap: str) -> ReadHistory:
    async def read(topic: str, bootstrap: str | None = None) -> KafkaHistory:
        return await read_topic(bootstrap or kafka_bootstrap, topic)

    return read


async def wait_until_published(engine: AsyncEngine, timeout: float = 120.0) -> None:
    """Until no row is waiting to be published (dead letters aside), or the timeout."""
    query = text(
        "SELECT count(*) FROM event_outbox WHERE published_at IS NULL AND dead_lettered_at IS NULL"
    )
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async with engine.connect() as connection:
            if await connection.scalar(query) == 0:
                return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"outbox rows still unpublished after {timeout} s")


@pytest.fixture
def until_published() -> Callable[..., Awaitable[None]]:
    return wait_until_published
