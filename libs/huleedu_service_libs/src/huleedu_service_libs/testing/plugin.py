"""Pytest plugin (entry point `huleedu`): real PostgreSQL, Redis and Kafka for tests.

Fixtures:
- `postgres_server`, `redis_server`, `kafka_server`: the session's servers (one per xdist worker).
- `fresh_database_url`: an empty database private to the test (asyncpg URL), dropped afterwards.
- `migrated_database`: `await migrated_database(service_dir)` -> URL of a private database at the
  head of that service's Alembic chain (copied from a template migrated once per session).
- `redis_url`: a Redis database private to the test, flushed before use.
- `private_redis_server`: a dedicated Redis the test may stop and start.
- `kafka_bootstrap`, `kafka_supports_idempotence`, `kafka_topics` (unique topics + reading back).
- `spans`: an in-memory exporter that every tracer provider set up during the test exports to
  (`huleedu_service_libs.testing.tracing`: `TracingOn` settings, `traced(service_name)`).
If no server can be had, the test errors with a message naming what is missing: never a skip.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis as redis_sync
import redis.asyncio as redis_asyncio
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from huleedu_service_libs.testing.databases import (
    MigratedTemplates,
    create_database,
    drop_database,
    unique_name,
)
from huleedu_service_libs.testing.embedded import EmbeddedRedis
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.servers import (
    KafkaEndpoint,
    NoServerAvailable,
    PostgresEndpoint,
    RedisEndpoint,
    ServerPool,
    Source,
)
from huleedu_service_libs.testing.tracing import recorded_spans

T = TypeVar("T")
REDIS_TEST_DATABASES = 1023  # the embedded Redis runs with 1024 databases; 0 is left alone


@pytest.fixture(scope="session")
def huleedu_server_pool() -> Iterator[ServerPool]:
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-test-"))
    pool = ServerPool(workdir)
    atexit.register(pool.stop_all)
    try:
        yield pool
    finally:
        pool.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def _resolve(resolve: Callable[[], T]) -> T:
    try:
        return resolve()
    except NoServerAvailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def postgres_server(huleedu_server_pool: ServerPool) -> PostgresEndpoint:
    return _resolve(huleedu_server_pool.postgres)


@pytest.fixture(scope="session")
def redis_server(huleedu_server_pool: ServerPool) -> RedisEndpoint:
    return _resolve(huleedu_server_pool.redis)


@pytest.fixture(scope="session")
def kafka_server(huleedu_server_pool: ServerPool) -> KafkaEndpoint:
    return _resolve(huleedu_server_pool.kafka)


@pytest.fixture
async def fresh_database_url(postgres_server: PostgresEndpoint) -> AsyncIterator[str]:
    name = unique_name("test")
    await create_database(postgres_server, name)
    yield postgres_server.url(name)
    await drop_database(postgres_server, name)


@pytest.fixture(scope="session")
def _migrated_templates(postgres_server: PostgresEndpoint) -> MigratedTemplates:
    return MigratedTemplates(postgres_server)


@pytest.fixture
async def migrated_database(
    postgres_server: PostgresEndpoint, _migrated_templates: MigratedTemplates
) -> AsyncIterator[Callable[[Path], Awaitable[str]]]:
    created: list[str] = []

    async def make(service_dir: Path) -> str:
        template = await _migrated_templates.template_for(service_dir)
        name = unique_name("test")
        await create_database(postgres_server, name, template=template)
        created.append(name)
        return postgres_server.url(name)

    yield make
    for name in created:
        await drop_database(postgres_server, name)


@pytest.fixture
def service_dir() -> Path:
    """The directory of the service under test (its alembic.ini); its conftest defines it."""
    raise pytest.UsageError(
        "the database_url fixture needs a service_dir fixture in the service's conftest.py"
    )


@pytest.fixture
async def database_url(
    migrated_database: Callable[[Path], Awaitable[str]], service_dir: Path
) -> str:
    """A fresh database migrated to head by the service's Alembic chain."""
    return await migrated_database(service_dir)


@pytest.fixture
def infrastructure_settings(database_url: str, redis_url: str) -> dict[str, Any]:
    """The settings every service under test shares: its database, its Redis, `testing`."""
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "ENVIRONMENT": "testing"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes for the service under test; none by default."""
    return {}


_redis_allocations = itertools.count()


@pytest.fixture(scope="session")
def _redis_database_count(redis_server: RedisEndpoint) -> int:
    client = redis_sync.Redis.from_url(redis_server.url)
    try:
        configured = client.config_get("databases").get("databases") or "16"
    finally:
        client.close()
    return min(int(configured), REDIS_TEST_DATABASES + 1)


@pytest.fixture
async def redis_url(redis_server: RedisEndpoint, _redis_database_count: int) -> str:
    database = 1 + next(_redis_allocations) % (_redis_database_count - 1)
    url = f"{redis_server.url}/{database}"
    client = redis_asyncio.Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
    return url


@pytest.fixture
def private_redis_server(huleedu_server_pool: ServerPool) -> Iterator[EmbeddedRedis]:
    server = huleedu_server_pool.new_private_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_server: KafkaEndpoint) -> str:
    return kafka_server.bootstrap


@pytest.fixture(scope="session")
def kafka_supports_idempotence(kafka_server: KafkaEndpoint) -> bool:
    """False against the embedded Tansu broker, which has no InitProducerId."""
    return kafka_server.supports_idempotence


@pytest.fixture
def kafka_topics(kafka_bootstrap: str) -> KafkaTopics:
    return KafkaTopics(kafka_bootstrap)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with recorded_spans() as exporter:
        yield exporter


def pytest_report_header(config: pytest.Config) -> str:
    return f"huleedu test servers: {', '.join(source.value for source in Source)} (in this order)"
