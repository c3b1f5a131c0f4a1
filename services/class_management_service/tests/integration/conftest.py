from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.processes import free_port
from services.class_management_service.app import create_app
from services.class_management_service.config import Settings, load_service_settings
from services.class_management_service.tests.conftest import SERVICE_DIR

TEACHER = {"X-User-ID": "teacher-1"}
OTHER_TEACHER = {"X-User-ID": "teacher-2"}


@pytest.fixture
def service_dir() -> Path:
    return SERVICE_DIR


@pytest.fixture
def settings(infrastructure_settings: dict[str, Any]) -> Settings:
    return load_service_settings(**infrastructure_settings)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[HuleEduApp]:
    app = create_app(settings)
    async with app.test_app():
        yield app


@pytest.fixture
def client(app: HuleEduApp) -> Client:
    return app.test_client()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sql(engine: AsyncEngine) -> Callable[..., Awaitable[list[Any]]]:
    async def run(statement: str, **params: Any) -> list[Any]:
        async with engine.connect() as connection:
            return list((await connection.execute(text(statement), params)).all())

    return run


@pytest.fixture
def execute(engine: AsyncEngine) -> Callable[..., Awaitable[list[Any]]]:
    async def run(statement: str, **params: Any) -> list[Any]:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    return run


@pytest.fixture
async def worker_settings(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: KafkaTopics,
) -> Settings:
    """A worker on its own topic and consumer group, its probe on a free port."""
    return load_service_settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ENVIRONMENT="testing",
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        KAFKA_ENABLE_IDEMPOTENCE=kafka_supports_idempotence,
        AUTHOR_MATCHES_TOPIC=await kafka_topics.create("author-matches"),
        CONSUMER_GROUP_ID=f"class-management-worker-{uuid4().hex[:8]}",
        WORKER_METRICS_HOST="127.0.0.1",
        WORKER_METRICS_PORT=free_port(),
    )
