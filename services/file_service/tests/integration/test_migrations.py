"""The Alembic chain: upgrade, downgrade to base, upgrade again; the models match the migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.outbox.verify import verify_outbox_schema
from huleedu_service_libs.testing.databases import run_alembic
from services.file_service.models_db import migration_metadata

pytestmark = pytest.mark.integration
SERVICE_DIR = Path(__file__).parents[2]
SERVICE_TABLES = {"file_batches", "file_uploads", "content_blobs", "event_outbox"}


async def _alembic(url: str, *command: str) -> str:
    return await asyncio.to_thread(run_alembic, SERVICE_DIR, url, *command)


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_upgrade_downgrade_upgrade(fresh_database_url: str) -> None:
    await _alembic(fresh_database_url, "upgrade", "head")
    expected = set(migration_metadata().tables)
    assert expected >= SERVICE_TABLES
    assert await _tables(fresh_database_url) == expected

    await _alembic(fresh_database_url, "downgrade", "base")
    assert await _tables(fresh_database_url) == set()

    await _alembic(fresh_database_url, "upgrade", "head")
    assert await _tables(fresh_database_url) == expected


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, migration_metadata()))


async def test_models_match_migrations(migrated_database: Any) -> None:
    url = await migrated_database(SERVICE_DIR)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


def test_revision_files_follow_the_naming_convention() -> None:
    names = [path.name for path in (SERVICE_DIR / "alembic" / "versions").glob("*.py")]
    assert names
    for name in names:
        date, time, *rest = name.removesuffix(".py").split("_")
        assert len(date) == 8, name
        assert date.isdigit(), name
        assert len(time) == 4, name
        assert time.isdigit(), name
        assert rest, name


async def test_the_outbox_table_passes_the_shared_verifier(migrated_database: Any) -> None:
    url = await migrated_database(SERVICE_DIR)
    assert await verify_outbox_schema(url) == []
