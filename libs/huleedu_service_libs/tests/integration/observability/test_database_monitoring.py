"""Pool and statement metrics of an engine, on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.observability import (
    DatabaseHealthChecker,
    DatabaseMetrics,
    setup_database_monitoring,
)
from huleedu_service_libs.observability.database import operation_of

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    database = create_async_engine(fresh_database_url, pool_size=3)
    yield database
    await database.dispose()


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def test_statements_are_timed_by_operation_and_errors_counted(engine: AsyncEngine) -> None:
    registry = CollectorRegistry()
    setup_database_monitoring(engine, "test", registry)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body text)"))
        await connection.execute(text("INSERT INTO notes VALUES ('a'), ('b')"))
        await connection.execute(text("SELECT body FROM notes"))
    with pytest.raises(ProgrammingError):
        async with engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))

    count = "huleedu_db_statement_duration_seconds_count"
    assert _value(registry, count, operation="insert") == 1
    assert _value(registry, count, operation="select") >= 1
    assert _value(registry, count, operation="other") >= 1  # CREATE TABLE
    assert _value(registry, "huleedu_db_statement_errors_total", operation="select") == 1
    assert _value(registry, "huleedu_db_statement_errors_total", operation="insert") == 0


async def test_pool_gauges_follow_checkouts_and_waits_are_observed(engine: AsyncEngine) -> None:
    registry = CollectorRegistry()
    setup_database_monitoring(engine, "test", registry)
    async with engine.connect() as first, engine.connect() as second:
        await first.execute(text("SELECT 1"))
        await second.execute(text("SELECT 1"))
        assert _value(registry, "huleedu_db_pool_checked_out_connections") == 2
    assert _value(registry, "huleedu_db_pool_checked_out_connections") == 0
    assert _value(registry, "huleedu_db_pool_size_connections") == 3
    assert _value(registry, "huleedu_db_pool_checkout_wait_seconds_count") == 2


async def test_one_engine_feeds_each_registry_once(engine: AsyncEngine) -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    metrics: DatabaseMetrics = setup_database_monitoring(engine, "test", first)
    assert setup_database_monitoring(engine, "test", first) is metrics
    setup_database_monitoring(engine, "test", second)
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    for registry in (first, second):
        count = _value(registry, "huleedu_db_statement_duration_seconds_count", operation="select")
        assert count == 1


async def test_a_disposed_engine_keeps_timing_checkouts(engine: AsyncEngine) -> None:
    registry = CollectorRegistry()
    setup_database_monitoring(engine, "test", registry)
    await engine.dispose()
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        assert _value(registry, "huleedu_db_pool_checked_out_connections") == 1
    assert _value(registry, "huleedu_db_pool_checkout_wait_seconds_count") == 1


async def test_the_health_checker_probes_the_database(engine: AsyncEngine) -> None:
    checker = DatabaseHealthChecker(engine, "test")
    await checker.probe()
    assert checker.name == "database"
    assert checker.pool_status() == {"checked_out": 0, "size": 3}


def test_operation_labels_are_bounded() -> None:
    assert operation_of("  SELECT 1") == "select"
    assert operation_of("update t set a = 1") == "update"
    assert operation_of("WITH x AS (SELECT 1) SELECT * FROM x") == "other"
    assert operation_of("") == "other"
    assert operation_of(None) == "other"
