"""The embedded PostgreSQL keeps its data across restarts (what the local stack relies on)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from huleedu_service_libs.testing.embedded import EmbeddedPostgres

pytestmark = pytest.mark.integration


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Under the system temp dir, not tmp_path: the unprivileged postgres user must reach it.
    path = Path(tempfile.mkdtemp(prefix="huleedu-test-persist-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def _run(dsn: str, statement: str) -> object:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


async def test_data_survives_a_restart_on_the_same_work_dir(workdir: Path) -> None:
    first = EmbeddedPostgres(workdir)
    first.start()
    try:
        await _run(first.admin_dsn, "CREATE DATABASE kept")
    finally:
        first.stop()
    second = EmbeddedPostgres(workdir, port=first.port)
    second.start()
    try:
        found = await _run(
            second.admin_dsn, "SELECT count(*) FROM pg_database WHERE datname = 'kept'"
        )
    finally:
        second.stop()
    assert found == 1


async def _settings(dsn: str) -> tuple[object, ...]:
    connection = await asyncpg.connect(dsn)
    try:
        names = ("fsync", "synchronous_commit", "full_page_writes")
        return tuple([await connection.fetchval(f"SHOW {name}") for name in names])
    finally:
        await connection.close()


@pytest.mark.parametrize(("durable", "expected"), [(True, "on"), (False, "off")])
async def test_durability_is_on_only_when_asked_for(
    workdir: Path, durable: bool, expected: str
) -> None:
    """Tests keep it off (their data dies with the run); the local stack asks for it."""
    server = EmbeddedPostgres(workdir, durable=durable)
    server.start()
    try:
        assert await _settings(server.admin_dsn) == (expected,) * 3
    finally:
        server.stop()
