from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.testing.databases import run_alembic
from services.cj_assessment_service.models_db import schema_metadata

SERVICE_DIR = Path(__file__).parents[2]
pytestmark = pytest.mark.integration


async def _run_sync(url: str, function: Callable[[Connection], Any]) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(function)
    finally:
        await engine.dispose()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, schema_metadata()))


def _index_names(connection: Connection) -> set[str]:
    return {str(index["name"]) for index in inspect(connection).get_indexes("event_outbox")}


async def test_upgrade_downgrade_upgrade(fresh_database_url: str) -> None:
    run_alembic(SERVICE_DIR, fresh_database_url, "upgrade", "head")
    tables = await _run_sync(fresh_database_url, _table_names)
    assert set(schema_metadata().tables) <= tables
    assert {"event_outbox", "processed_events", "comparisons", "anchors"} <= tables

    run_alembic(SERVICE_DIR, fresh_database_url, "downgrade", "base")
    assert await _run_sync(fresh_database_url, _table_names) == {"alembic_version"}

    run_alembic(SERVICE_DIR, fresh_database_url, "upgrade", "head")
    assert await _run_sync(fresh_database_url, _differences) == []


async def test_models_match_the_migrations(
    migrated_database: Callable[[Path], Awaitable[str]],
) -> None:
    url = await migrated_database(SERVICE_DIR)
    assert await _run_sync(url, _differences) == []


async def test_the_outbox_has_the_shared_indexes(
    migrated_database: Callable[[Path], Awaitable[str]],
) -> None:
    url = await migrated_database(SERVICE_DIR)
    names = await _run_sync(url, _index_names)
    assert {"ix_event_outbox_unpublished", "ix_event_outbox_aggregate"} <= names


async def test_one_head_and_a_linear_history() -> None:
    heads = run_alembic(SERVICE_DIR, "postgresql+asyncpg://unused/unused", "heads")
    assert heads.count("(head)") == 1
