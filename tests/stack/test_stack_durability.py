"""The local stack's embedded PostgreSQL runs durable: its data in .stack/ is kept across runs,
so a crash must neither lose committed transactions nor corrupt the data directory."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from scripts.stack_runner.infrastructure import EmbeddedInfrastructure

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Under the system temp dir, not tmp_path: the unprivileged postgres user must reach it.
    path = Path(tempfile.mkdtemp(prefix="huleedu-test-stack-durable-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_the_stacks_postgresql_has_fsync_synchronous_commit_and_full_pages(
    data_dir: Path,
) -> None:
    infrastructure = EmbeddedInfrastructure(data_dir)
    endpoints = infrastructure.start()
    try:
        connection = await asyncpg.connect(endpoints.postgres_url)
        try:
            names = ("fsync", "synchronous_commit", "full_page_writes")
            settings = [await connection.fetchval(f"SHOW {name}") for name in names]
        finally:
            await connection.close()
    finally:
        infrastructure.stop()
    assert settings == ["on", "on", "on"]
