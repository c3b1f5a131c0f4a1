"""A relay process SIGKILLed again and again while 10,000 events are written: every event reaches
Kafka, and a duplicate is always a byte-identical copy (same event_id) of its original."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.kafka import KafkaBus, OutgoingMessage
from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]
EVENTS = 10_000
KEYS = 50
MIN_KILLS = 8


def _relay_process(database_url: str, bootstrap: str, idempotence: bool) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable,
        "-m",
        "huleedu_service_libs.outbox.relay_main",
        *("--service-name", "crash_test"),
        *("--database-url", database_url),
        *("--kafka-bootstrap", bootstrap),
        *("--environment", "testing"),
        *("--batch-size", "200"),
    ]
    if not idempotence:
        argv.append("--no-idempotence")
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _kill_repeatedly(start: Any, writing: asyncio.Task[Any], rng: random.Random) -> int:
    kills = 0
    while not writing.done() or kills < MIN_KILLS:
        relay = start()
        await asyncio.sleep(rng.uniform(0.8, 2.5))  # sometimes mid-start-up, mostly mid-batch
        relay.send_signal(signal.SIGKILL)
        await asyncio.to_thread(relay.wait)
        kills += 1
    return kills


def _pings(numbers: range = range(EVENTS)) -> list[tuple[str, int]]:
    return [(f"key-{i % KEYS}", i // KEYS) for i in numbers]


async def test_killed_relays_lose_nothing_and_duplicates_keep_their_event_id(
    engine: AsyncEngine,
    outbox_database: str,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: Any,
    write_pings: Any,
    read_history: Any,
    until_published: Any,
) -> None:
    topic = await kafka_topics.create("crash", partitions=4)

    def start() -> subprocess.Popen[bytes]:
        return _relay_process(outbox_database, kafka_bootstrap, kafka_supports_idempotence)

    writing = asyncio.create_task(write_pings(_pings(), topic, per_transaction=20))
    kills = await _kill_repeatedly(start, writing, random.Random(5))
    written = await writing
    survivor = start()
    try:
        # Written after the survivor started, so their publication proves it is up and past the
        # point where it handles SIGTERM (the killed relays may have published everything else).
        written += await write_pings(_pings(range(EVENTS, EVENTS + 100)), topic, per_transaction=20)
        await until_published(engine, timeout=240)
        survivor.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(survivor.wait, 30) == 0  # a graceful stop
    finally:
        with contextlib.suppress(ProcessLookupError):
            survivor.kill()

    history = await read_history(topic)
    assert kills >= MIN_KILLS
    assert history.event_ids() == {str(envelope.event_id) for envelope in written}
    assert history.every_copy_is_identical()
    assert history.keys_out_of_order() == []


class CrashAfterPublish:
    """Kafka acknowledges the batch, then the relay dies before it can mark the rows."""

    def __init__(self, bus: KafkaBus) -> None:
        self.bus = bus

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        results = await self.bus.send_batch(messages)
        assert results == [None] * len(messages)
        raise asyncio.CancelledError  # what a SIGKILL does to the relay, seen from the table


async def test_a_crash_between_publish_and_mark_republishes_the_same_event_ids(
    engine: AsyncEngine,
    settings: OutboxSettings,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: Any,
    write_pings: Any,
    read_history: Any,
) -> None:
    topic = await kafka_topics.create("crash-window", partitions=2)
    written = await write_pings([("a", 1), ("b", 1), ("a", 2)], topic)
    bus = KafkaBus(kafka_bootstrap, "crash-window", enable_idempotence=kafka_supports_idempotence)
    await bus.start()
    try:
        with pytest.raises(asyncio.CancelledError):
            await EventRelayWorker(
                engine, CrashAfterPublish(bus), "svc", settings
            ).publish_due_batch()
        report = await EventRelayWorker(engine, bus, "svc", settings).publish_due_batch()
    finally:
        await bus.stop()

    assert report.published == 3  # the rows were still unpublished after the crash
    history = await read_history(topic)
    assert len(history.records) == 6
    assert history.event_ids() == {str(envelope.event_id) for envelope in written}
    assert all(len(copies) == 2 for copies in history.copies.values())
    assert history.every_copy_is_identical()
    assert history.first_seen_by_key == {"a": [1, 2], "b": [1]}
