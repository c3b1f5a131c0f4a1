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
