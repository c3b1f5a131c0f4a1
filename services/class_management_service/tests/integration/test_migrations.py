from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from common_core.courses import CourseCode
from huleedu_service_libs.testing.databases import run_alembic
from services.class_management_service.models_db import schema_metadata

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


async def test_upgrade_downgrade_upgrade(fresh_database_url: str) -> None:
    run_alembic(SERVICE_DIR, fresh_database_url, "upgrade", "head")
    assert set(schema_metadata().tables) <= await _run_sync(fresh_database_url, _table_names)

    run_alembic(SERVICE_DIR, fresh_database_url, "downgrade", "base")
    assert await _run_sync(fresh_database_url, _table_names) == {"alembic_version"}

    run_alembic(SERVICE_DIR, fresh_database_url, "upgrade", "head")
    assert await _run_sync(fresh_database_url, _differences) == []


async def test_models_match_the_migrations(
    migrated_database: Callable[[Path], Awaitable[str]],
) -> None:
    url = await migrated_database(SERVICE_DIR)
    assert await _run_sync(url, _differences) == []


async def test_courses_are_seeded_by_the_migration(
    migrated_database: Callable[[Path], Awaitable[str]],
) -> None:
    url = await migrated_database(SERVICE_DIR)

    def rows(connection: Connection) -> set[tuple[str, str, str, int]]:
        result = connection.execute(text("SELECT code, name, language, level FROM courses"))
        return {(row.code, row.name, row.language, row.level) for row in result}

    expected = {
        (code.value, code.display_name, code.language.value, code.level) for code in CourseCode
    }
    assert await _run_sync(url, rows) == expected


async def test_one_head_and_a_linear_history() -> None:
    history = run_alembic(SERVICE_DIR, "postgresql+asyncpg://unused/unused", "heads")
    assert history.count("(head)") == 1
