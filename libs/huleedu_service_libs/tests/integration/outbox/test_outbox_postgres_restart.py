"""PostgreSQL restarts under a running relay: the relay keeps going without being restarted."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings
from huleedu_service_libs.testing.databases import create_database, run_alembic
from huleedu_service_libs.testing.embedded import EmbeddedPostgres
from huleedu_service_libs.testing.servers import PostgresEndpoint, Source

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def private_postgres() -> Iterator[EmbeddedPostgres]:
    # Not under pytest's tmp_path: a concurrent pytest run may make that unreadable to the
    # unprivileged user PostgreSQL runs as, between our start and our restart.
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-outbox-restart-"))
    server = EmbeddedPostgres(workdir)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
async def private_database_url(private_postgres: EmbeddedPostgres, outbox_service_dir: Path) -> str:
    endpoint = PostgresEndpoint(private_postgres.admin_dsn, Source.EMBEDDED)
    await create_database(endpoint, "restart_test")
    url = endpoint.url("restart_test")
    await asyncio.to_thread(run_alembic, outbox_service_dir, url, "upgrade", "head")
    return url


@pytest.fixture
async def engine(private_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(private_database_url)  # no pre-ping: the relay copes alone
    yield engine
    await engine.dispose()


async def test_the_relay_survives_a_postgresql_restart(
    engine: AsyncEngine,
    private_postgres: EmbeddedPostgres,
    publisher: Any,
    settings: OutboxSettings,
    write_pings: Any,
    until_published: Any,
) -> None:
    relay = EventRelayWorker(engine, publisher, "svc", settings)
    running = asyncio.create_task(relay.run())
    try:
        before = await write_pings([("a", 1), ("b", 1)], "outbox.restart")
        await until_published(engine)
        await asyncio.to_thread(private_postgres.stop)
        await asyncio.sleep(2)  # the relay's batches fail meanwhile; it backs off
        await asyncio.to_thread(private_postgres.start)
        after = await write_pings([("a", 2), ("b", 2)], "outbox.restart")
        await until_published(engine)
    finally:
        await relay.stop()
        await running
    assert not running.cancelled()
    sent = publisher.event_ids()
    assert sorted(sent) == sorted(str(envelope.event_id) for envelope in before + after)
    for first, second in zip(before, after, strict=True):  # a1 before a2, b1 before b2
        assert sent.index(str(first.event_id)) < sent.index(str(second.event_id))
