"""Database monitoring of one engine: pool gauges, checkout wait, statement duration and errors
on the process's registry, and the `/healthz` database check.

The pool gauges follow SQLAlchemy's pool events (checkout, checkin, connect), so they
also work in Prometheus multiprocess mode, where a gauge read by a callback would not. Statements
are timed by the engine's cursor events: statements sent straight through asyncpg
(`huleedu_service_libs.database`) do not pass through them and are not counted.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool

from huleedu_service_libs.database import asyncpg_connection

DB_METRICS_EXTENSION = "db_metrics"
OPERATIONS = ("select", "insert", "update", "delete")
OTHER_OPERATION = "other"
_STARTED_KEY = "huleedu_statement_started"
WAIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
STATEMENT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class DatabaseMetrics:
    """The database families of one registry; `setup_database_monitoring` feeds them."""

    def __init__(self, service_name: str, registry: CollectorRegistry) -> None:
        self.service_name = service_name
        self.checked_out = Gauge(
            "huleedu_db_pool_checked_out_connections",
            "Pooled connections currently checked out",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_size = Gauge(
            "huleedu_db_pool_size_connections",
            "Connections the pool keeps (pool_size, overflow excluded)",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.checkout_wait = Histogram(
            "huleedu_db_pool_checkout_wait_seconds",
            "Time to get a connection from the pool, opening one included",
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.statement_duration = Histogram(
            "huleedu_db_statement_duration_seconds",
            "Statement execution time, by leading SQL keyword",
            ["operation"],
            buckets=STATEMENT_BUCKETS,
            registry=registry,
        )
        self.statement_errors = Counter(
            "huleedu_db_statement_errors",
            "Statements that raised, by leading SQL keyword",
            ["operation"],
            registry=registry,
        )
        for operation in (*OPERATIONS, OTHER_OPERATION):
            self.statement_duration.labels(operation)
            self.statement_errors.labels(operation)

    def observe_pool(self, pool: Pool) -> None:
        self.pool_size.set(_pool_number(pool, "size"))


def operation_of(statement: str | None) -> str:
    """The statement's leading keyword when it is one of `OPERATIONS`, else "other": bounded."""
    words = (statement or "").lstrip().split(None, 1)
    keyword = words[0].lower() if words else ""
    return keyword if keyword in OPERATIONS else OTHER_OPERATION


class _EngineMonitor:
    """The listeners of one engine, installed once, feeding every registry that monitors it."""

    def __init__(self, engine: Engine) -> None:
        # Held as long as their registry is (an app's, a worker's), no longer.
        self.metrics: weakref.WeakKeyDictionary[CollectorRegistry, DatabaseMetrics] = (
            weakref.WeakKeyDictionary()
        )
        self._engine = weakref.ref(engine)  # the engine holds the listeners, not the reverse
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "handle_error", self._error)
        event.listen(engine, "engine_disposed", self._disposed)
        self._instrument_pool(engine.pool)

    def add(self, registry: CollectorRegistry, metrics: DatabaseMetrics) -> None:
        self.metrics[registry] = metrics
        engine = self._engine()
        if engine is not None:
            metrics.checked_out.set(_pool_number(engine.pool, "checkedout"))
            metrics.observe_pool(engine.pool)

    def _instrument_pool(self, pool: Pool) -> None:
        # Counted, not read from the pool: at "checkin" the pool still counts the connection out.
        event.listen(pool, "checkout", self._checked_out)
        event.listen(pool, "checkin", self._checked_in)
        event.listen(pool, "connect", self._pool_changed)
        self._time_connect(pool)

    def _time_connect(self, pool: Pool) -> None:
        connect = pool.connect

        def timed_connect() -> Any:
            started = time.perf_counter()
            try:
                return connect()
            finally:
                elapsed = time.perf_counter() - started
                for metrics in list(self.metrics.values()):
                    metrics.checkout_wait.observe(elapsed)

        # Pool has no event before a checkout; the wait is the time spent in connect().
        pool.connect = timed_connect  # type: ignore[method-assign]

    def _checked_out(self, *_: object) -> None:
        for metrics in list(self.metrics.values()):
            metrics.checked_out.inc()

    def _checked_in(self, *_: object) -> None:
        for metrics in list(self.metrics.values()):
            metrics.checked_out.dec()

    def _pool_changed(self, *_: object) -> None:
        engine = self._engine()
        if engine is None:
            return
        for metrics in list(self.metrics.values()):
            metrics.observe_pool(engine.pool)

    def _disposed(self, engine: Engine) -> None:
        # dispose() replaces the pool; the new one keeps the pool listeners, not the timing.
        self._time_connect(engine.pool)
        self._pool_changed()

    def _before(self, conn: Any, _cursor: Any, _statement: str, *_: object) -> None:
        conn.info.setdefault(_STARTED_KEY, []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, statement: str, *_: object) -> None:
        started = _pop_started(conn.info)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        operation = operation_of(statement)
        for metrics in list(self.metrics.values()):
            metrics.statement_duration.labels(operation).observe(elapsed)

    def _error(self, context: ExceptionContext) -> None:
        if context.connection is not None:
            _pop_started(context.connection.info)
        operation = operation_of(context.statement)
        for metrics in list(self.metrics.values()):
            metrics.statement_errors.labels(operation).inc()


_monitors: weakref.WeakKeyDictionary[Engine, _EngineMonitor] = weakref.WeakKeyDictionary()


def setup_database_monitoring(
    engine: AsyncEngine, service_name: str, registry: CollectorRegistry
) -> DatabaseMetrics:
    """Pool and statement metrics of `engine` on `registry`. The engine's listeners are
    installed once; calling again with another registry feeds that one too (many apps, one
    engine, as in tests), and with the same registry returns the same metrics."""
    sync_engine = engine.sync_engine
    monitor = _monitors.get(sync_engine)
    if monitor is None:
        monitor = _monitors[sync_engine] = _EngineMonitor(sync_engine)
    existing = monitor.metrics.get(registry)
    if existing is not None:
        return existing
    metrics = DatabaseMetrics(service_name, registry)
    monitor.add(registry, metrics)
    return metrics


class DatabaseHealthChecker:
    """The `/healthz` database check (`HealthCheck(checker.name, checker.probe)`): `SELECT 1` on
    a pooled connection, sent by asyncpg in one round trip (through SQLAlchemy the same probe
    also sent BEGIN and ROLLBACK)."""

    name = "database"

    def __init__(self, engine: AsyncEngine, service_name: str) -> None:
        self.engine = engine
        self.service_name = service_name

    async def probe(self) -> None:
        async with asyncpg_connection(self.engine) as connection:
            await connection.execute("SELECT 1")

    def pool_status(self) -> dict[str, int]:
        pool = self.engine.sync_engine.pool
        return {
            "checked_out": _pool_number(pool, "checkedout"),
            "size": _pool_number(pool, "size"),
        }


def _pool_number(pool: Pool, method: str) -> int:
    # QueuePool and its async variant have these; NullPool and StaticPool do not (0).
    reader = getattr(pool, method, None)
    return int(reader()) if callable(reader) else 0


def _pop_started(info: dict[Any, Any]) -> float | None:
    stack: list[float] = info.get(_STARTED_KEY, [])
    return stack.pop() if stack else None
