from collections.abc import AsyncIterator

import pytest
from dishka import make_async_container
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app, kafka_check, redis_check
from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.testing.embedded import EmbeddedRedis

pytestmark = pytest.mark.integration


@pytest.fixture
async def app(
    fresh_database_url: str, private_redis_server: EmbeddedRedis, kafka_bootstrap: str
) -> AsyncIterator[HuleEduApp]:
    app = create_service_app(
        service_name="file_service",
        container=make_async_container(QuartProvider(), CorrelationProvider()),
        database_engine=create_async_engine(fresh_database_url),
        health_checks=[redis_check(private_redis_server.url), kafka_check(kafka_bootstrap)],
        health_check_timeout_seconds=3.0,
    )
    async with app.test_app():
        yield app


async def health(app: HuleEduApp) -> tuple[int, dict[str, object]]:
    response = await app.test_client().get("/healthz")
    return response.status_code, await response.get_json()


async def test_healthy_with_real_postgres_redis_and_kafka(app: HuleEduApp) -> None:
    status, body = await health(app)

    assert status == 200, body
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert set(checks) == {"database", "redis", "kafka"}


async def test_stopping_redis_turns_healthz_503_until_it_is_back(
    app: HuleEduApp, private_redis_server: EmbeddedRedis
) -> None:
    private_redis_server.stop()
    status, body = await health(app)
    assert (status, body["failing"]) == (503, ["redis"])

    private_redis_server.start()
    status, body = await health(app)
    assert (status, body["failing"]) == (200, [])
