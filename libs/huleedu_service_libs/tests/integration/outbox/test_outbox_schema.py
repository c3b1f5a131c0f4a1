"""The migration helper, the template and the verifier, on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.outbox import with_event_outbox
from huleedu_service_libs.outbox.verify import verify_outbox_schema
from huleedu_service_libs.testing.databases import run_alembic

pytestmark = pytest.mark.integration


def _service_metadata() -> MetaData:
    metadata = MetaData()
    Table("orders", metadata, Column("id", Integer, primary_key=True), Column("label", String(50)))
    return metadata


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, with_event_outbox(_service_metadata())))


def _verify_cli(url: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "huleedu_service_libs.outbox.verify", "--database-url", url]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


async def _alter(engine: AsyncEngine, *statements: str) -> None:
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def test_the_model_matches_what_the_helper_creates(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_a_database_built_by_the_helper_passes_the_verifier_cli(
    outbox_database: str,
) -> None:
    result = await asyncio.to_thread(_verify_cli, outbox_database)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "event_outbox: OK" in result.stdout


async def test_a_renamed_index_fails_the_verifier_cli_naming_both_names(
    outbox_database: str, engine: AsyncEngine
) -> None:
    await _alter(engine, "ALTER INDEX ix_event_outbox_unpublished RENAME TO idx_outbox_unpublished")
    result = await asyncio.to_thread(_verify_cli, outbox_database)
    assert result.returncode == 1
    assert "index ix_event_outbox_unpublished: missing" in result.stdout
    assert "index idx_outbox_unpublished: unexpected" in result.stdout


async def test_a_missing_partial_predicate_is_reported(
    outbox_database: str, engine: AsyncEngine
) -> None:
    await _alter(
        engine,
        "DROP INDEX ix_event_outbox_unpublished",
        "CREATE INDEX ix_event_outbox_unpublished ON event_outbox (published_at, created_at)",
    )
    assert await verify_outbox_schema(outbox_database) == [
        "index ix_event_outbox_unpublished: predicate is '(none)', expected 'published_at is null'"
    ]


async def test_wrong_index_columns_and_naive_timestamps_are_reported(
    outbox_database: str, engine: AsyncEngine
) -> None:
    await _alter(
        engine,
        "DROP INDEX ix_event_outbox_aggregate",
        "CREATE INDEX ix_event_outbox_aggregate ON event_outbox (aggregate_id)",
        "ALTER TABLE event_outbox ALTER COLUMN created_at TYPE timestamp without time zone",
    )
    assert await verify_outbox_schema(outbox_database) == [
        "column created_at: is timestamp without time zone NOT NULL, "
        "expected timestamp with time zone NOT NULL",
        "index ix_event_outbox_aggregate: on ('aggregate_id',), "
        "expected ('aggregate_type', 'aggregate_id')",
    ]


async def test_a_missing_column_and_a_missing_table_are_reported(
    outbox_database: str, engine: AsyncEngine, fresh_database_url: str
) -> None:
    await _alter(engine, "ALTER TABLE event_outbox DROP COLUMN next_attempt_at")
    problems = await verify_outbox_schema(outbox_database)
    assert "column next_attempt_at: missing" in problems
    assert "index ix_event_outbox_due: missing" in problems  # it was on that column
    assert await verify_outbox_schema(fresh_database_url) == ["table event_outbox: missing"]


async def test_downgrade_drops_the_table_and_upgrade_restores_it(
    outbox_service_dir: Path, fresh_database_url: str
) -> None:
    await asyncio.to_thread(run_alembic, outbox_service_dir, fresh_database_url, "upgrade", "head")
    await asyncio.to_thread(
        run_alembic, outbox_service_dir, fresh_database_url, "downgrade", "20260101_0000"
    )
    assert await verify_outbox_schema(fresh_database_url) == ["table event_outbox: missing"]
    await asyncio.to_thread(run_alembic, outbox_service_dir, fresh_database_url, "upgrade", "head")
    assert await verify_outbox_schema(fresh_database_url) == []


def test_the_template_names_the_revision_by_the_migration_standard(
    outbox_service_dir: Path,
) -> None:
    names = sorted(path.name for path in (outbox_service_dir / "alembic/versions").glob("*.py"))
    assert names == ["20260101_0000_create_orders.py", "20260102_0304_add_event_outbox_table.py"]
