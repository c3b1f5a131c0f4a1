"""`migrated_database` and `run_alembic` run a real Alembic chain against real PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from huleedu_service_libs.testing.databases import run_alembic

pytestmark = pytest.mark.integration

ENV_PY = """
from huleedu_service_libs.migrations import run_alembic_migrations

def no_settings() -> str:
    raise RuntimeError("the harness always passes -x database_url")

run_alembic_migrations(None, default_url=no_settings)
"""

REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "20260101_0000"
down_revision = None

def upgrade() -> None:
    op.create_table("things", sa.Column("id", sa.Integer, primary_key=True))

def downgrade() -> None:
    op.drop_table("things")
"""


@pytest.fixture
def service_dir(tmp_path: Path) -> Path:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = alembic\n")
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "alembic" / "env.py").write_text(ENV_PY)
    (versions / "20260101_0000_create_things.py").write_text(REVISION)
    return tmp_path


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


async def test_each_test_database_starts_at_head_and_is_private(
    service_dir: Path, migrated_database: Callable[[Path], Awaitable[str]]
) -> None:
    first, second = await migrated_database(service_dir), await migrated_database(service_dir)
    assert first != second
    connection = await asyncpg.connect(first.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute("INSERT INTO things VALUES (1)")
    finally:
        await connection.close()
    other = await asyncpg.connect(second.replace("postgresql+asyncpg", "postgresql"))
    try:
        assert await other.fetchval("SELECT count(*) FROM things") == 0
    finally:
        await other.close()
    assert {"things", "alembic_version"} <= await _tables(first)


async def test_run_alembic_downgrades_and_upgrades(
    service_dir: Path, fresh_database_url: str
) -> None:
    run_alembic(service_dir, fresh_database_url, "upgrade", "head")
    assert "things" in await _tables(fresh_database_url)
    run_alembic(service_dir, fresh_database_url, "downgrade", "base")
    assert "things" not in await _tables(fresh_database_url)
