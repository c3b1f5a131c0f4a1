"""Fixtures for the outbox's integration tests: a migrated database, envelopes, writers,
publisher doubles, and reading a whole topic back from Kafka."""

from __future__ import annotations

import asyncio
import uuid
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


WritePings = Callable[[Sequence[tuple[str, int]], str], Awaitable[list[EventEnvelope[Ping]]]]


@pytest.fixture
def write_pings(engine: AsyncEngine) -> WritePings:
    """Commits one transaction per ping (an order row and its event); returns the envelopes."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    manager = OutboxManager(wakeup=None)

    async def write(pings: Sequence[tuple[str, int]], topic: str) -> list[EventEnvelope[Ping]]:
        written = []
        for key, n in pings:
            envelope = ping(key, n)
            async with sessions() as session, session.begin():
                await session.execute(text("INSERT INTO orders (label) VALUES (:k)"), {"k": key})
                await manager.publish_to_outbox(
                    session,
                    aggregate_type="order",
                    aggregate_id=key,
                    event_data=envelope,
                    topic=topic,
                )
            written.append(envelope)
        return written

    return write


class ScriptedPublisher:
    """The in-memory Kafka: records what it accepted; can be taken down, or refuse events."""

    def __init__(self) -> None:
        self.accepted: list[OutgoingMessage] = []
        self.down = False
        self.refused_event_ids: set[str] = set()
        self.batches = 0

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        self.batches += 1
        await asyncio.sleep(0)
        return [self._send(message) for message in messages]

    def _send(self, message: OutgoingMessage) -> BaseException | None:
        if self.down:
            return ConnectionError("broker unreachable")
        if header_value(message.headers, "event_id") in self.refused_event_ids:
            return ValueError("message too large")
        self.accepted.append(message)
        return None

    def event_ids(self) -> list[str | None]:
        return [header_value(message.headers, "event_id") for message in self.accepted]


@pytest.fixture
def publisher() -> ScriptedPublisher:
    return ScriptedPublisher()


@pytest.fixture
def make_ping() -> Callable[..., EventEnvelope[Ping]]:
    return ping


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on every partition of the topic, up to its current end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        return await _read_until(consumer, ends)
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
    while any(await consumer.position(tp) < end for tp, end in ends.items()):
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)
    return records


@pytest.fixture
def kafka_reader(
    kafka_bootstrap: str,
) -> Callable[[str], Awaitable[list[ConsumerRecord[bytes, bytes]]]]:
    async def read(topic: str) -> list[ConsumerRecord[bytes, bytes]]:
        return await read_topic(kafka_bootstrap, topic)

    return read
