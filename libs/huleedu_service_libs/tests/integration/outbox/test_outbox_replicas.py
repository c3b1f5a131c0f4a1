"""Three relays on one table at once: every event published exactly once (nobody crashes), and
the order per key is the commit order."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.kafka import KafkaBus, OutgoingMessage
from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]
KEYS = 20
BACKLOG = 3000
WRITTEN_WHILE_RUNNING = 2000


class SlowCountingPublisher:
    """A broker with some latency, so the replicas' batches overlap in time."""

    def __init__(self, bus: KafkaBus) -> None:
        self.bus = bus
        self.messages = 0
        self._rng = random.Random(len(bus.client_id))

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        self.messages += len(messages)
        await asyncio.sleep(self._rng.uniform(0, 0.02))
        return await self.bus.send_batch(messages)


def _pings(first: int, count: int) -> list[tuple[str, int]]:
    return [(f"key-{i % KEYS}", i // KEYS) for i in range(first, first + count)]


async def _replica(
    database_url: str, bootstrap: str, idempotence: bool, settings: OutboxSettings, name: str
) -> tuple[EventRelayWorker, SlowCountingPublisher, Any]:
    bus = KafkaBus(bootstrap, name, enable_idempotence=idempotence)
    await bus.start()
    publisher = SlowCountingPublisher(bus)
    engine = create_async_engine(database_url)
    return EventRelayWorker(engine, publisher, name, settings), publisher, engine


async def test_three_replicas_publish_each_event_once_in_commit_order_per_key(
    engine: Any,
    outbox_database: str,
    settings: OutboxSettings,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: Any,
    write_pings: Any,
    read_history: Any,
    until_published: Any,
) -> None:
    topic = await kafka_topics.create("replicas", partitions=4)
    written = await write_pings(_pings(0, BACKLOG), topic, per_transaction=50)
    small_batches = settings.model_copy(update={"batch_size": 50})
    replicas = [
        await _replica(
            outbox_database, kafka_bootstrap, kafka_supports_idempotence, small_batches, f"r{n}"
        )
        for n in range(3)
    ]
    running = [asyncio.create_task(relay.run()) for relay, _, _ in replicas]
    try:
        written += await write_pings(
            _pings(BACKLOG, WRITTEN_WHILE_RUNNING), topic, per_transaction=10
        )
        await until_published(engine, timeout=120)
    finally:
        for relay, publisher, replica_engine in replicas:
            await relay.stop()
            await publisher.bus.stop()
            await replica_engine.dispose()
        await asyncio.gather(*running)

    history = await read_history(topic)
    assert len(history.records) == BACKLOG + WRITTEN_WHILE_RUNNING  # no duplicate at all
    assert history.event_ids() == {str(envelope.event_id) for envelope in written}
    assert history.keys_out_of_order() == []
    assert sum(publisher.messages > 0 for _, publisher, _ in replicas) >= 2
