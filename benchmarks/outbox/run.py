"""The transactional outbox, measured against baselines in the same run (issue 5).

    ./dev pdm run bench-outbox [--runs 3] [--backlog 50000] [--rate 1000] [--seconds 10]
    ./dev pdm run bench-outbox --tracing-compare [--runs 3] [--write-samples N] [--tracing-ratio 1]

Servers come from the test harness (a URL from the environment, else embedded PostgreSQL, Redis
and Tansu). Printed: what the outbox insert adds to a business transaction (beside what one more
bare INSERT adds); relay throughput on a backlog, beside a naive relay (select one row, publish
it, mark it, repeat) and beside producing straight to Kafka with no database; and the latency
commit -> consumed at a steady rate, with the relay in its own process as in a worker. Each
measurement gets a database of its own, dropped after it; the run is on uvloop, as the relay is.

Every figure is measured twice in the same run, phase by phase, on two embedded PostgreSQL
servers: a durable one (fsync, synchronous_commit and full_page_writes on, as a production
server runs; the targets are judged on it) and the non-durable one the tests use (all three
off). Redis and Kafka are shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from alembic.migration import MigrationContext
from alembic.operations import Operations
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from redis.asyncio import Redis
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from benchmarks.outbox.tracing_compare import (
    DEFAULT_RATIO,
    compare_writes,
    print_write_comparison,
)
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.config.settings import Environment
from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.kafka import KafkaBus, OutgoingMessage
from huleedu_service_libs.outbox import (
    EventRelayWorker,
    OutboxEvent,
    OutboxManager,
    Publisher,
    RelayWakeup,
    insert_outbox_rows,
)
from huleedu_service_libs.outbox.metrics import outbox_metrics
from huleedu_service_libs.outbox.migration import create_event_outbox_table
from huleedu_service_libs.outbox.settings import outbox_settings_for
from huleedu_service_libs.testing.databases import create_database, drop_database
from huleedu_service_libs.testing.embedded import EmbeddedPostgres
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.servers import (
    KafkaEndpoint,
    PostgresEndpoint,
    RedisEndpoint,
    ServerPool,
    Source,
)

SERVICE = "bench_service"
EVENT_TYPE = "huleedu.bench.order_placed.v1"
KEYS, PARTITIONS = 1000, 8
# Writer processes, and transactions in flight in each, by kind of writer. A session writer
# costs ~0.9 ms of CPU per transaction (more coroutines per process cost more: 1.22 ms at 16),
# so 1,000/s takes two; a lean one costs ~0.4 ms, and one process is cheaper than two. On the
# durable server a commit waits for its WAL flush (1-20 ms here), so 1,000/s needs many in flight
# (6 reached ~300/s; the WAL flushes of concurrent commits are shared).
WRITERS = {True: (1, 32), False: (2, 4)}  # lean: (processes, transactions in flight in each)
INSERT_ORDER = text("INSERT INTO orders (label) VALUES (:label)")
LEAN_INSERT_ORDER = "INSERT INTO orders (label) VALUES ($1)"


class OrderPlaced(BaseModel):
    order_id: str
    amount: int
    note: str


@dataclass(frozen=True)
class Servers:
    postgres: PostgresEndpoint
    kafka: KafkaEndpoint
    redis: RedisEndpoint


def envelope(n: int) -> EventEnvelope[OrderPlaced]:
    data = OrderPlaced(order_id=f"order-{n % KEYS}", amount=n, note="x" * 200)
    return EventEnvelope[OrderPlaced](
        event_type=EVENT_TYPE,
        source_service=SERVICE,
        correlation_id=uuid.uuid4(),
        data=data,
    )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[round(fraction * (len(ordered) - 1))]


def _schema(connection: Connection) -> None:
    connection.execute(text("CREATE TABLE orders (id bigserial PRIMARY KEY, label text)"))
    with Operations.context(MigrationContext.configure(connection)):
        create_event_outbox_table()


@contextlib.asynccontextmanager
async def scratch_database(servers: Servers) -> AsyncIterator[AsyncEngine]:
    """A fresh database for one measurement, dropped after it: the next measurement must not
    share the cores with autovacuum cleaning up this one's 50,000 published rows."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    await create_database(servers.postgres, name)
    engine = create_async_engine(servers.postgres.url(name), pool_size=10)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_schema)
        yield engine
    finally:
        await engine.dispose()
        await drop_database(servers.postgres, name)


async def new_topic(servers: Servers) -> str:
    return await KafkaTopics(servers.kafka.bootstrap).create("bench-outbox", PARTITIONS)


async def write_event(
    session: AsyncSession, manager: OutboxManager, topic: str, event: EventEnvelope[OrderPlaced]
) -> str:
    await session.execute(INSERT_ORDER, {"label": event.data.order_id})
    await manager.publish_to_outbox(
        session,
        aggregate_type="order",
        aggregate_id=event.data.order_id,
        event_data=event,
        topic=topic,
    )
    return str(event.event_id)


BACKLOG = text(
    """
    INSERT INTO event_outbox
        (aggregate_type, aggregate_id, event_type, topic, event_key, event_data)
    SELECT 'order', 'order-' || n % :keys, CAST(:event_type AS text), :topic,
           'order-' || n % :keys,
           json_build_object(
               'event_id', gen_random_uuid(), 'event_type', CAST(:event_type AS text),
               'event_timestamp', now(), 'source_service', CAST(:service AS text),
               'schema_version', 1,
               'correlation_id', gen_random_uuid(), 'metadata', '{}'::json,
               'data', json_build_object('order_id', 'order-' || n % :keys, 'amount', n,
                                         'note', repeat('x', 200)))
    FROM generate_series(0, :count - 1) AS n
    """
)


async def fill_backlog(engine: AsyncEngine, topic: str, count: int) -> None:
    """The rows the writer would store, made in one statement (the writer is measured in 1.),
    then vacuumed and analysed, as autovacuum would have done while a real backlog built up."""
    params = {"keys": KEYS, "event_type": EVENT_TYPE, "topic": topic, "service": SERVICE}
    async with engine.begin() as connection:
        await connection.execute(BACKLOG, {**params, "count": count})
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE event_outbox"))


# 1. What the outbox insert adds to a business transaction -------------------------------------

VARIANTS = ("alone", "bare INSERT", "outbox", "outbox + wake-up")


async def write_timings(servers: Servers, samples: int) -> dict[str, list[float]]:
    """A one-row business transaction alone; with one more bare INSERT (what any second
    statement costs); with its outbox insert; and with the insert and the Redis wake-up."""
    async with scratch_database(servers) as engine:
        redis = Redis.from_url(f"{servers.redis.url}/0")
        wakeup = RelayWakeup(redis, SERVICE)
        managers = {"outbox": OutboxManager(None), "outbox + wake-up": OutboxManager(wakeup)}
        transaction = _timed_transaction(async_sessionmaker(engine), managers)
        timings: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        try:
            for n in range(samples + 200):  # the first 200 rounds warm up
                for variant in VARIANTS[n % 4 :] + VARIANTS[: n % 4]:  # interleaved: same load
                    elapsed = await transaction(variant, envelope(n))
                    if n >= 200:
                        timings[variant].append(elapsed)
            await wakeup.flush()
        finally:
            await redis.aclose()
    return timings


def _timed_transaction(
    sessions: async_sessionmaker[AsyncSession], managers: dict[str, OutboxManager]
) -> Callable[[str, EventEnvelope[OrderPlaced]], Awaitable[float]]:
    async def transaction(variant: str, event: EventEnvelope[OrderPlaced]) -> float:
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            await session.execute(INSERT_ORDER, {"label": event.data.order_id})
            if variant == "bare INSERT":
                await session.execute(INSERT_ORDER, {"label": "extra"})
            elif variant in managers:
                await managers[variant].publish_to_outbox(
                    session, aggregate_type="order", aggregate_id=event.data.order_id,
                    event_data=event, topic="bench.write",
                )  # fmt: skip
        return time.perf_counter() - started

    return transaction


# 2. Relay throughput on a backlog ---------------------------------------------------------------


class InMemoryPublisher:
    """Kafka taken out: what the relay's database side alone can do."""

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        return [None] * len(messages)


WAL_POSITION = text("SELECT CAST(pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS bigint)")


@dataclass
class RelayRun:
    rate: float
    wal_bytes_per_event: float


async def relay_rate(servers: Servers, publisher: Publisher, backlog: int) -> RelayRun:
    async with scratch_database(servers) as engine:
        await fill_backlog(engine, await new_topic(servers), backlog)
        async with engine.connect() as connection:
            start: int = await connection.scalar(WAL_POSITION)
        rate = await _drained_rate(engine, publisher, backlog)
        async with engine.connect() as connection:
            end: int = await connection.scalar(WAL_POSITION)
        return RelayRun(rate, (end - start) / backlog)


async def _drained_rate(engine: AsyncEngine, publisher: Publisher, backlog: int) -> float:
    registry = CollectorRegistry()
    settings = outbox_settings_for(Environment.PRODUCTION)
    metrics = outbox_metrics(registry)
    relay = EventRelayWorker(engine, publisher, SERVICE, settings, metrics=metrics)
    started = time.perf_counter()
    running = asyncio.create_task(relay.run())
    labels = {"service": SERVICE, "event_type": EVENT_TYPE}
    # The relay counts what it has published and committed; polling that counter costs nothing.
    while (registry.get_sample_value("huleedu_outbox_published_total", labels) or 0) < backlog:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    await relay.stop()
    await running
    return backlog / elapsed


NAIVE_SELECT = text(
    "SELECT id, topic, event_key, event_data::text AS payload FROM event_outbox"
    " WHERE published_at IS NULL ORDER BY created_at LIMIT 1"
)
NAIVE_MARK = text("UPDATE event_outbox SET published_at = now() WHERE id = :id")


async def naive_rate(servers: Servers, bus: KafkaBus, backlog: int, seconds: float) -> float:
    async with scratch_database(servers) as engine:
        await fill_backlog(engine, await new_topic(servers), backlog)
        started, published = time.perf_counter(), 0
        while time.perf_counter() - started < seconds:
            async with engine.begin() as connection:
                row = (await connection.execute(NAIVE_SELECT)).one()
                message = OutgoingMessage(row.topic, row.payload.encode(), row.event_key.encode())
                [error] = await bus.send_batch([message])
                assert error is None, error
                await connection.execute(NAIVE_MARK, {"id": row.id})
            published += 1
        return published / (time.perf_counter() - started)


async def direct_rate(servers: Servers, bus: KafkaBus, count: int) -> float:
    topic = await new_topic(servers)
    messages = [
        OutgoingMessage(topic, envelope(n).model_dump_json().encode(), f"order-{n % KEYS}".encode())
        for n in range(count)
    ]
    started = time.perf_counter()
    for start in range(0, count, 1000):
        assert not any(await bus.send_batch(messages[start : start + 1000]))
    return count / (time.perf_counter() - started)


# 3. Latency commit -> consumed at a steady rate -------------------------------------------------


def relay_process(servers: Servers, database_url: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "huleedu_service_libs.outbox.relay_main"]
    argv += ["--service-name", SERVICE, "--database-url", database_url]
    argv += ["--kafka-bootstrap", servers.kafka.bootstrap]
    argv += ["--redis-url", f"{servers.redis.url}/0"]
    argv += [] if servers.kafka.supports_idempotence else ["--no-idempotence"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def consume(
    servers: Servers, topic: str, seen: dict[str, float], stop: asyncio.Event
) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, partition) for partition in range(PARTITIONS)])
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=50)
            now = time.time()
            for record in (record for records in batches.values() for record in records):
                seen.setdefault(dict(record.headers)["event_id"].decode(), now)
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class WriteShare:
    """Events first, first + step, ... of `total`, each at origin + n / rate (wall clock).

    `lean` writers commit on bare asyncpg connections (`insert_outbox_rows`, then
    `RelayWakeup.committed`), a load generator that leaves the cores to the system measured;
    the others commit through SQLAlchemy sessions and `OutboxManager`, as the services do."""

    database_url: str
    redis_url: str
    topic: str
    rate: int
    total: int
    first: int
    step: int
    lean: bool
    in_flight: int


@dataclass(frozen=True)
class StartLine:
    """Writers report ready once warm, then all take the same origin: the clock starts only
    when every process has imported, connected and prepared its statements."""

    ready: Queue[bool]
    origins: Queue[float]


def write_share(share: WriteShare, start: StartLine, results: Queue[dict[str, float]]) -> None:
    """A writer process: one transaction per event, paced; reports commit times by event_id."""
    tune_garbage_collector()  # as in a service process
    results.put(run_service(_write_share(share, start)))  # a service process runs on uvloop


async def _write_share(share: WriteShare, start: StartLine) -> dict[str, float]:
    engine, redis = create_async_engine(share.database_url), Redis.from_url(share.redis_url)
    wakeup = RelayWakeup(redis, SERVICE)
    make_committer = _lean_committer if share.lean else _session_committer
    commit = await make_committer(engine, wakeup, share.in_flight)
    numbers = range(share.first, share.total, share.step)
    events = {n: envelope(n) for n in numbers}
    committed: dict[str, float] = {}
    await _warm_up(commit, share.topic, share.in_flight)
    await redis.ping()
    start.ready.put(True)
    origin = await asyncio.to_thread(start.origins.get)

    async def writer(offset: int) -> None:
        for n in list(numbers)[offset :: share.in_flight]:
            await asyncio.sleep(max(0.0, origin + n / share.rate - time.time()))
            await commit(share.topic, events[n], True)
            committed[str(events[n].event_id)] = time.time()

    await asyncio.gather(*(writer(offset) for offset in range(share.in_flight)))
    await wakeup.flush()
    await redis.aclose()
    await engine.dispose()
    return committed


# Writes one business row and its event in one transaction; False rolls it back.
Committer = Callable[[str, EventEnvelope[OrderPlaced], bool], Awaitable[None]]


async def _session_committer(engine: AsyncEngine, wakeup: RelayWakeup, _: int) -> Committer:
    sessions, managers = async_sessionmaker(engine), {True: OutboxManager(wakeup)}
    managers[False] = OutboxManager(None)

    async def commit(topic: str, event: EventEnvelope[OrderPlaced], keep: bool) -> None:
        async with sessions() as session:
            await session.begin()
            await write_event(session, managers[keep], topic, event)
            await (session.commit() if keep else session.rollback())

    return commit


async def _lean_committer(engine: AsyncEngine, wakeup: RelayWakeup, in_flight: int) -> Committer:
    """A connection per writer coroutine (a pool's reset on release is one more round trip)."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    idle = asyncio.Queue[asyncpg.Connection]()
    for _ in range(in_flight):
        idle.put_nowait(await asyncpg.connect(url))

    async def commit(topic: str, event: EventEnvelope[OrderPlaced], keep: bool) -> None:
        order = OutboxEvent("order", event.data.order_id, event, topic)
        connection = await idle.get()
        try:
            transaction = connection.transaction()
            await transaction.start()
            await connection.execute(LEAN_INSERT_ORDER, event.data.order_id)
            await insert_outbox_rows(connection, [order])
            await (transaction.commit() if keep else transaction.rollback())
        finally:
            idle.put_nowait(connection)
        if keep:
            wakeup.committed()

    return commit


async def _warm_up(commit: Committer, topic: str, in_flight: int) -> None:
    """Opens every connection a writer will use and prepares its statements, then rolls back."""
    await asyncio.gather(*(commit(topic, envelope(-1), False) for _ in range(in_flight)))


async def paced_writes(
    servers: Servers, database_url: str, topic: str, rate: int, seconds: float, lean: bool
) -> dict[str, float]:
    """`rate` events per second for `seconds` from the writer processes, as services would."""
    context, total = multiprocessing.get_context("spawn"), int(rate * seconds)
    process_count, in_flight = WRITERS[lean]
    results: Queue[dict[str, float]] = context.Queue()
    start = StartLine(context.Queue(), context.Queue())
    redis_url = f"{servers.redis.url}/0"
    shares = [
        WriteShare(
            database_url, redis_url, topic, rate, total, first, process_count, lean, in_flight
        )
        for first in range(process_count)
    ]
    processes = [
        context.Process(target=write_share, args=(share, start, results)) for share in shares
    ]
    for process in processes:
        process.start()
    for _ in processes:
        await asyncio.to_thread(start.ready.get)
    origin = time.time() + 0.1
    for _ in processes:
        start.origins.put(origin)
    committed: dict[str, float] = {}
    for _ in processes:
        committed.update(await asyncio.to_thread(results.get))
    for process in processes:
        await asyncio.to_thread(process.join)
    return committed


async def until_seen(seen: dict[str, float], event_ids: set[str], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not event_ids <= seen.keys() and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Latencies:
    waits: list[float]  # commit -> consumed at the steady rate, seconds
    reached: float  # the write rate reached, events per second
    idle_waits: list[float]  # commit -> consumed, one event every 200 ms on an idle system


def _waits(committed: dict[str, float], seen: dict[str, float]) -> list[float]:
    return [seen[event_id] - at for event_id, at in committed.items() if event_id in seen]


async def latencies(servers: Servers, rate: int, seconds: float, lean: bool) -> Latencies:
    """Latencies commit -> consumed, and the write rate actually reached."""
    async with scratch_database(servers) as engine:
        topic = await new_topic(servers)
        return await _latencies(servers, engine, topic, rate, seconds, lean)


async def _latencies(
    servers: Servers, engine: AsyncEngine, topic: str, rate: int, seconds: float, lean: bool
) -> Latencies:
    database_url = engine.url.render_as_string(hide_password=False)
    relay, stop = relay_process(servers, database_url), asyncio.Event()
    seen: dict[str, float] = {}
    consumer = asyncio.create_task(consume(servers, topic, seen, stop))
    try:
        warm_up = await paced_writes(servers, database_url, topic, 10, 1, lean)  # relay up, idle
        await until_seen(seen, set(warm_up), timeout=120)
        # The relay polls every 2 s: only its wake-up brings an event on an idle system in ms.
        idle = await paced_writes(servers, database_url, topic, 5, 3, lean)
        await until_seen(seen, set(idle), timeout=60)
        committed = await paced_writes(servers, database_url, topic, rate, seconds, lean)
        moments = sorted(committed.values())
        reached = len(moments) / max(moments[-1] - moments[0], 1e-9)
        await until_seen(seen, set(committed), timeout=60)
    finally:
        stop.set()
        relay.terminate()
        await asyncio.to_thread(relay.wait, 30)
        await consumer
    return Latencies(_waits(committed, seen), reached, _waits(idle, seen))


# The run -----------------------------------------------------------------------------------------


async def median_of(runs: int, measure: Callable[[], Awaitable[float]]) -> float:
    return statistics.median([await measure() for _ in range(runs)])


async def relay_runs(runs: int, measure: Callable[[], Awaitable[RelayRun]]) -> RelayRun:
    results = [await measure() for _ in range(runs)]
    return RelayRun(
        statistics.median(run.rate for run in results),
        statistics.median(run.wal_bytes_per_event for run in results),
    )


async def throughputs(servers: Servers, arguments: argparse.Namespace) -> dict[str, float]:
    bus = KafkaBus(servers.kafka.bootstrap, SERVICE, servers.kafka.supports_idempotence)
    await bus.start()
    backlog, runs = arguments.backlog, arguments.runs
    try:
        relay = await relay_runs(runs, lambda: relay_rate(servers, bus, backlog))
        database_side = await relay_runs(
            runs, lambda: relay_rate(servers, InMemoryPublisher(), backlog)
        )
        return {
            "relay": relay.rate,
            "relay WAL per event": relay.wal_bytes_per_event,
            "database side": database_side.rate,
            "naive": await median_of(
                runs, lambda: naive_rate(servers, bus, 20_000, arguments.naive_seconds)
            ),
            "direct": await median_of(runs, lambda: direct_rate(servers, bus, backlog)),
        }
    finally:
        await bus.stop()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def median_p99(samples: list[float], minus: list[float] | None = None) -> str:
    median, p99 = statistics.median(samples), percentile(samples, 0.99)
    if minus:
        median, p99 = median - statistics.median(minus), p99 - percentile(minus, 0.99)
    return f"{ms(median)} ({ms(p99)})"


def table(
    arguments: argparse.Namespace,
    writes: dict[str, list[float]],
    rates: dict[str, float],
    lean: Latencies,
    sessions: Latencies,
) -> list[tuple[str, str, str]]:
    alone, waits, rate = writes["alone"], lean.waits, arguments.rate
    session_waits = (
        f"{ms(statistics.median(sessions.waits))} ({ms(percentile(sessions.waits, 0.99))})"
    )
    idle_waits = f"{ms(statistics.median(lean.idle_waits))} ({ms(max(lean.idle_waits))})"
    return [
        ("business transaction alone", median_p99(alone), ""),
        ("added by one more bare INSERT", median_p99(writes["bare INSERT"], alone), "(floor)"),
        ("added by the outbox insert", median_p99(writes["outbox"], alone), "< 0.5 ms median"),
        ("... and its Redis wake-up", median_p99(writes["outbox + wake-up"], alone), ""),
        (f"relay, {arguments.backlog:,}-event backlog", f"{rates['relay']:,.0f}/s", ">= 25,000/s"),
        ("naive relay (one row per transaction)", f"{rates['naive']:,.0f}/s", ""),
        ("relay / naive", f"{rates['relay'] / rates['naive']:,.0f}x", ">= 50x"),
        ("relay, Kafka replaced by a no-op", f"{rates['database side']:,.0f}/s", "(database side)"),
        ("... WAL written per relayed event", f"{rates['relay WAL per event']:,.0f} B", ""),
        ("KafkaBus alone, no database", f"{rates['direct']:,.0f}/s", "(Kafka side)"),
        (f"commit -> consumed at {rate}/s, p50", ms(statistics.median(waits)), "< 20 ms"),
        (f"commit -> consumed at {rate}/s, p99", ms(percentile(waits, 0.99)), "< 100 ms"),
        (f"... writers through sessions, {sessions.reached:,.0f}/s reached", session_waits, ""),
        ("commit -> consumed on an idle system (max)", idle_waits, "tens of ms"),
    ]


def print_table(columns: dict[str, list[tuple[str, str, str]]], footnote: str) -> None:
    """One value column per server, the targets judged on the first (the durable one)."""
    names = list(columns)
    rows = list(zip(*columns.values(), strict=True))
    width = max(len(row[0][0]) for row in rows)
    print(f"\n{'measure':<{width}}  " + "  ".join(f"{name:>22}" for name in names) + "  target")
    for row in rows:
        values = "  ".join(f"{value:>22}" for _, value, _ in row)
        print(f"{row[0][0]:<{width}}  {values}  {row[0][2]}")
    print(footnote)


@dataclass
class Measured:
    writes: dict[str, list[float]]
    rates: dict[str, float]
    lean: Latencies
    sessions: Latencies


async def run(arguments: argparse.Namespace, variants: dict[str, Servers]) -> None:
    """Phase by phase, each on every server in turn, so both see the machine in the same state."""
    writes = {name: await write_timings(s, arguments.write_samples) for name, s in variants.items()}
    rates = {name: await throughputs(s, arguments) for name, s in variants.items()}
    lean = {
        name: await latencies(s, arguments.rate, arguments.seconds, lean=True)
        for name, s in variants.items()
    }
    sessions = {
        name: await latencies(s, arguments.rate, arguments.seconds, lean=False)
        for name, s in variants.items()
    }
    measured = {
        name: Measured(writes[name], rates[name], lean[name], sessions[name]) for name in variants
    }
    first = measured[next(iter(variants))]
    print_table(
        {
            name: table(arguments, m.writes, m.rates, m.lean, m.sessions)
            for name, m in measured.items()
        },
        f"(targets judged on the {next(iter(variants))} server; writes: "
        f"{len(first.writes['alone'])} transactions per variant, interleaved; throughput: "
        f"median of {arguments.runs} runs; latency: {len(first.lean.waits)} events each, lean "
        f"writers (asyncpg) at "
        + ", ".join(f"{m.lean.reached:,.0f}/s ({name})" for name, m in measured.items())
        + ")",
    )


async def tracing_compare(arguments: argparse.Namespace, variants: dict[str, Servers]) -> None:
    """The write path with tracing off and on (tracing_compare.py), on each server."""
    results = {}
    for name, servers in variants.items():
        async with scratch_database(servers) as plain:
            traced = create_async_engine(plain.url, pool_size=10)
            try:
                results[name] = await compare_writes(
                    plain,
                    traced,
                    _bench_transaction,
                    arguments.write_samples,
                    arguments.runs,
                    arguments.tracing_ratio,
                )
            finally:
                await traced.dispose()
    print_write_comparison(
        results, arguments.write_samples, arguments.runs, arguments.tracing_ratio
    )


async def _bench_transaction(session: AsyncSession, manager: OutboxManager, n: int) -> str:
    return await write_event(session, manager, "bench.tracing", envelope(n))


def durable_pair(workdir: Path) -> tuple[dict[str, EmbeddedPostgres], dict[str, PostgresEndpoint]]:
    servers = {
        "durable": EmbeddedPostgres(workdir / "durable", durable=True),
        "non-durable": EmbeddedPostgres(workdir / "non-durable"),
    }
    for server in servers.values():
        server.start()
    endpoints = {
        name: PostgresEndpoint(server.admin_dsn, Source.EMBEDDED)
        for name, server in servers.items()
    }
    return servers, endpoints


def main() -> None:
    parser = argparse.ArgumentParser(description="Outbox benchmark with side-by-side baselines")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backlog", type=int, default=50_000)
    parser.add_argument("--naive-seconds", type=float, default=10.0)
    parser.add_argument("--write-samples", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--tracing-compare",
        action="store_true",
        help="only the write path, tracing off vs on (--write-samples per round, --runs rounds)",
    )
    parser.add_argument(
        "--tracing-ratio",
        type=float,
        default=DEFAULT_RATIO,
        help=f"TRACING_SAMPLE_RATIO of the traced side (default: production's {DEFAULT_RATIO})",
    )
    arguments = parser.parse_args()
    tune_garbage_collector()  # the relay and the naive relay run here, tuned as in a service
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-bench-outbox-"))
    pool = ServerPool(workdir)
    postgres: dict[str, EmbeddedPostgres] = {}
    try:
        postgres, endpoints = durable_pair(workdir)
        kafka, redis = pool.kafka(), pool.redis()
        variants = {name: Servers(endpoint, kafka, redis) for name, endpoint in endpoints.items()}
        measure = tracing_compare if arguments.tracing_compare else run
        run_service(measure(arguments, variants))  # the relay's own event loop, as deployed
    finally:
        for server in postgres.values():
            server.stop()
        pool.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
