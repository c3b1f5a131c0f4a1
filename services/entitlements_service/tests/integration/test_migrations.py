"""The Alembic chain on a real PostgreSQL: up, down to base, up again; models match it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.testing.databases import run_alembic
from services.entitlements_service.models_db import migration_metadata
from services.entitlements_service.tests.support.paths import SERVICE_DIR

pytestmark = pytest.mark.integration
TABLES = {
    "credit_balances",
    "credit_ledger",
    "credit_authorizations",
    "admin_audit_log",
    "processed_events",
    "event_outbox",
}


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return {row[0] for row in rows} - {"alembic_version"}
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_on_an_empty_database(fresh_database_url: str) -> None:
    await asyncio.to_thread(run_alembic, SERVICE_DIR, fresh_database_url, "upgrade", "head")
    assert await _tables(fresh_database_url) == TABLES
    await asyncio.to_thread(run_alembic, SERVICE_DIR, fresh_database_url, "downgrade", "base")
    assert await _tables(fresh_database_url) == set()
    await asyncio.to_thread(run_alembic, SERVICE_DIR, fresh_database_url, "upgrade", "head")
    assert await _tables(fresh_database_url) == TABLES


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, migration_metadata()))


async def test_models_match_the_migrations(migrated_database) -> None:  # type: ignore[no-untyped-def]
    url = await migrated_database(SERVICE_DIR)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


def test_the_chain_has_one_head() -> None:
    heads = subprocess.run(
        [sys.executable, "-m", "alembic", "heads"],
        cwd=SERVICE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert [line for line in heads if line.strip()] == ["20261122_0252 (head)"]
