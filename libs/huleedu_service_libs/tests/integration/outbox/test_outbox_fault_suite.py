"""The outbox's promises under faults, end to end, with every part in a process of its own.

Two writer processes commit a state change and its event per transaction (`fault_writer.py`);
three relays run as `relay_main` processes; PostgreSQL (durable), Redis and Tansu are this test's
own, so it may kill, pause and restart them. Injected one after another while writing goes on:
relays SIGKILLed mid-batch and restarted, the broker paused (SIGSTOP) and resumed, the broker
restarted, PostgreSQL restarted fast and immediately (crash recovery), Redis lost and restarted.

A consumer reads the topic all along. At the end: every committed state change was published at
least once; no event was published without its committed state; per key, first deliveries come
in commit order; and every duplicate has a fault between its copies.

Tansu keeps its log in memory, so its restart would lose what it held: the relays are paused
(SIGSTOP) and the consumer drains the broker before it is killed, then the relays resume against
the new broker. What the relays had in flight then fails and is published again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from huleedu_service_libs.testing.databases import create_database, run_alembic
from huleedu_service_libs.testing.embedded import EmbeddedKafka, EmbeddedPostgres, EmbeddedRedis
from huleedu_service_libs.testing.servers import PostgresEndpoint, Source

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]
TOPIC, PARTITIONS = "outbox.faults", 4
WRITER_KEYS = [[f"key-{n}" for n in range(start, start + 6)] for start in (0, 6)]
RELAYS = 3
WRITER = Path(__file__).with_name("fault_writer.py")
# A first copy may be read a little after the fault that leads to its second copy.
CONSUMER_LAG_SECONDS = 2.0


@dataclass
class Servers:
    workdir: Path
    postgres: EmbeddedPostgres
    redis: EmbeddedRedis
    kafka: EmbeddedKafka
    database_url: str = ""

    @property
    def dsn(self) -> str:
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
def servers() -> Iterator[Servers]:
    # Not under pytest's tmp_path: the unprivileged user PostgreSQL runs as must reach it.
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-outbox-faults-"))
    # Durable: after an immediate stop, a non-durable server forgets commits whose events the
    # relays had already published.
    running = Servers(
        workdir,
        EmbeddedPostgres(workdir / "postgres", durable=True),
        EmbeddedRedis(workdir),
        EmbeddedKafka(workdir / "kafka"),
    )
    for directory in ("postgres", "kafka"):
        (workdir / directory).mkdir()
    for server in (running.postgres, running.redis, running.kafka):
        server.start()
    yield running
    for server in (running.kafka, running.redis, running.postgres):
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.server.pid, signal.SIGCONT)
        server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
async def migrated(servers: Servers, outbox_service_dir: Path) -> Servers:
    endpoint = PostgresEndpoint(servers.postgres.admin_dsn, Source.EMBEDDED)
    await create_database(endpoint, "faults")
    servers.database_url = endpoint.url("faults")
    await asyncio.to_thread(
        run_alembic, outbox_service_dir, servers.database_url, "upgrade", "head"
    )
    await _create_topic(servers.kafka.bootstrap)
    return servers


async def _create_topic(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()


@dataclass
class Fault:
    kind: str
    start: float
    end: float = 0.0


@dataclass
class Deliveries:
    """Everything the consumer read, in the order it read it (monotonic times)."""

    records: list[tuple[float, bytes]] = field(default_factory=list)

    def copies(self) -> dict[str, list[float]]:
        seen: dict[str, list[float]] = defaultdict(list)
        for at, value in self.records:
            seen[json.loads(value)["event_id"]].append(at)
        return seen

    def first_deliveries_by_key(self) -> dict[str, list[int]]:
        firsts: dict[str, list[int]] = defaultdict(list)
        seen: set[str] = set()
        for _, value in self.records:
            envelope = json.loads(value)
            if envelope["event_id"] not in seen:
                seen.add(envelope["event_id"])
                firsts[envelope["data"]["key"]].append(envelope["data"]["n"])
        return firsts


class Reader:
    """A consumer on every partition from the start; it can drain and rewind (broker restart)."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
        )
        self.partitions = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
        self.deliveries = Deliveries()
        self.paused = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        self.consumer.assign(self.partitions)
        await self.consumer.seek_to_beginning(*self.partitions)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            if self.paused.is_set():
                await asyncio.sleep(0.05)
                continue
            with contextlib.suppress(Exception):  # the broker away: keep trying
                batches = await self.consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    self.deliveries.records += [(time.monotonic(), r.value) for r in batch]

    async def drain(self, timeout: float = 60.0) -> None:
        """Until everything the broker holds now has been read."""
        ends = await self.consumer.end_offsets(self.partitions)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            positions = [await self.consumer.position(p) for p in self.partitions]
            if all(pos >= ends[p] for pos, p in zip(positions, self.partitions, strict=True)):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the consumer did not catch up with the broker")

    async def rewind(self) -> None:
        """A new, empty broker: read its partitions from their start."""
        await self.consumer.seek_to_beginning(*self.partitions)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.consumer.stop()


class Processes:
    def __init__(self, servers: Servers) -> None:
        self.servers = servers
        self.relays: list[subprocess.Popen[bytes]] = []
        self.writers: list[subprocess.Popen[bytes]] = []

    def relay(self) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "huleedu_service_libs.outbox.relay_main"]
        argv += ["--service-name", "fault_suite", "--database-url", self.servers.database_url]
        argv += ["--kafka-bootstrap", self.servers.kafka.bootstrap, "--no-idempotence"]
        argv += ["--redis-url", f"{self.servers.redis.url}/0", "--environment", "testing"]
        # Attempts are not what this suite is about: nothing may be dead-lettered by the faults.
        argv += ["--batch-size", "100", "--max-attempts", "10000", "--publish-timeout", "3"]
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self.relays = [self.relay() for _ in range(RELAYS)]
        self.writers = [self.writer(keys) for keys in WRITER_KEYS]

    def writer(self, keys: list[str]) -> subprocess.Popen[bytes]:
        argv = [sys.executable, str(WRITER), self.servers.dsn, f"{self.servers.redis.url}/0"]
        argv += [TOPIC, *keys]
        log = self.servers.workdir / f"writer-{keys[0]}.log"
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log.open("ab"))

    def signal_relays(self, sig: signal.Signals) -> None:
        for relay in self.relays:
            with contextlib.suppress(ProcessLookupError):
                relay.send_signal(sig)

    async def stop_writers(self) -> None:
        for writer in self.writers:
            writer.send_signal(signal.SIGTERM)
        for writer, keys in zip(self.writers, WRITER_KEYS, strict=True):
            # Stopped between transactions, or by the signal itself before its handler was set:
            # either way no transaction is half done, and the database says what was committed.
            log = (self.servers.workdir / f"writer-{keys[0]}.log").read_text()[-3000:]
            assert await asyncio.to_thread(writer.wait, 30) in (0, -signal.SIGTERM), log

    async def stop_relays(self) -> None:
        self.signal_relays(signal.SIGTERM)
        for relay in self.relays:
            await asyncio.to_thread(relay.wait, 30)

    def kill_all(self) -> None:
        for process in self.relays + self.writers:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGCONT)
                process.kill()


FaultStep = Callable[[], Awaitable[None]]


class Injector:
    def __init__(self, servers: Servers, processes: Processes, reader: Reader) -> None:
        self.servers, self.processes, self.reader = servers, processes, reader
        self.faults: list[Fault] = []

    @contextlib.asynccontextmanager
    async def fault(self, kind: str) -> AsyncIterator[None]:
        fault = Fault(kind, time.monotonic())
        self.faults.append(fault)
        try:
            yield
        finally:
            fault.end = time.monotonic()
        await asyncio.sleep(3.0)  # traffic flows again before the next fault

    async def kill_relays_mid_batch(self) -> None:
        for index in (0, 1):
            async with self.fault(f"SIGKILL relay {index}"):
                self.processes.relays[index].kill()
                await asyncio.to_thread(self.processes.relays[index].wait)
                await asyncio.sleep(0.5)
                self.processes.relays[index] = self.processes.relay()

    async def pause_broker(self) -> None:
        async with self.fault("broker SIGSTOP"):
            os.kill(self.servers.kafka.server.pid, signal.SIGSTOP)
            await asyncio.sleep(5.0)  # longer than the relays' publish timeout
            os.kill(self.servers.kafka.server.pid, signal.SIGCONT)

    async def restart_broker(self) -> None:
        async with self.fault("broker restart"):
            self.processes.signal_relays(signal.SIGSTOP)
            await asyncio.sleep(0.5)  # acknowledgements in flight reach the log
            await self.reader.drain()
            self.reader.paused.set()
            port = self.servers.kafka.port
            os.kill(self.servers.kafka.server.pid, signal.SIGKILL)
            await asyncio.to_thread(self.servers.kafka.server.process.wait)  # type: ignore[union-attr]
            restarted = self.servers.workdir / "kafka-restarted"
            restarted.mkdir()
            self.servers.kafka = EmbeddedKafka(restarted, port=port)
            await asyncio.to_thread(self.servers.kafka.start)
            await _create_topic(self.servers.kafka.bootstrap)
            await self.reader.rewind()
            self.reader.paused.clear()
            self.processes.signal_relays(signal.SIGCONT)

    async def restart_postgres(self, how: signal.Signals, kind: str) -> None:
        async with self.fault(kind):
            postgres = self.servers.postgres
            os.kill(postgres.server.pid, how)
            await asyncio.to_thread(postgres.server.process.wait, 60)  # type: ignore[union-attr]
            await asyncio.to_thread(postgres.start)

    async def lose_redis(self) -> None:
        async with self.fault("Redis lost"):
            port = self.servers.redis.port
            await asyncio.to_thread(self.servers.redis.stop)
            await asyncio.sleep(2.0)
            self.servers.redis = EmbeddedRedis(self.servers.workdir, port=port)
            await asyncio.to_thread(self.servers.redis.start)

    async def run_all(self) -> None:
        await self.kill_relays_mid_batch()
        await self.pause_broker()
        await self.restart_broker()
        await self.restart_postgres(signal.SIGINT, "PostgreSQL fast restart")
        await self.restart_postgres(signal.SIGQUIT, "PostgreSQL immediate restart")
        await self.lose_redis()


async def _until_under_way(servers: Servers, timeout: float = 180.0) -> None:
    """Until events are being written and published (a loaded machine starts processes slowly)."""
    query = "SELECT count(*) FILTER (WHERE published_at IS NOT NULL) FROM event_outbox"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = await asyncpg.connect(servers.dsn)
        try:
            if await connection.fetchval(query) >= 50:
                return
        finally:
            await connection.close()
        await asyncio.sleep(0.5)
    raise TimeoutError("the writers and relays never got going")


async def _committed(servers: Servers) -> set[str]:
    connection = await asyncpg.connect(servers.dsn)
    try:
        return {row[0] for row in await connection.fetch("SELECT label FROM orders")}
    finally:
        await connection.close()


async def _until_all_published(servers: Servers, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            connection = await asyncpg.connect(servers.dsn)
            try:
                if not await connection.fetchval(
                    "SELECT count(*) FROM event_outbox WHERE published_at IS NULL"
                ):
                    return
            finally:
                await connection.close()
        await asyncio.sleep(0.5)
    raise TimeoutError("rows still unpublished after the faults")


def _unexplained(copies: dict[str, list[float]], faults: list[Fault]) -> list[str]:
    """Duplicates with no fault between a copy and the next one."""
    unexplained = []
    for event_id, times in copies.items():
        for earlier, later in itertools.pairwise(times):
            if not any(
                f.start <= later and f.end >= earlier - CONSUMER_LAG_SECONDS for f in faults
            ):
                unexplained.append(event_id)
    return unexplained


async def test_every_promise_holds_through_crashes_pauses_restarts_and_redis_loss(
    migrated: Servers,
) -> None:
    servers = migrated
    reader = Reader(servers.kafka.bootstrap)
    await reader.start()
    processes = Processes(servers)
    processes.start()
    injector = Injector(servers, processes, reader)
    try:
        await _until_under_way(servers)
        await injector.run_all()
        await processes.stop_writers()
        await _until_all_published(servers)
        await reader.drain()
        await processes.stop_relays()
    finally:
        processes.kill_all()
        await reader.stop()

    committed = await _committed(servers)
    copies = reader.deliveries.copies()
    assert len(injector.faults) == 7
    assert len(committed) > 100  # writing went on through the faults
    assert committed - set(copies) == set(), "committed state changes never published"
    assert set(copies) - committed == set(), "events published without their committed state"
    firsts = reader.deliveries.first_deliveries_by_key()
    assert {key: ns for key, ns in firsts.items() if ns != sorted(ns)} == {}
    assert _unexplained(copies, injector.faults) == []
