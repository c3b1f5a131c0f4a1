import socket

import httpx
from dishka import make_async_container
from pydantic import SecretStr
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.correlation import (
    CorrelationContext,
    CorrelationProvider,
    correlation_scope,
    require_correlation,
)
from huleedu_service_libs.http_client import ServiceClient
from huleedu_service_libs.resilience import CircuitBreaker


def file_service_app() -> HuleEduApp:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_service_app(
        service_name="file_service",
        container=make_async_container(QuartProvider(), CorrelationProvider()),
        database_engine=create_async_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{port}/x"),
    )

    @app.get("/internal/v1/whoami")
    async def whoami() -> dict[str, str]:
        corr = require_correlation()
        return {"uuid": str(corr.uuid), "original": corr.original}

    return app


async def test_the_same_ids_reach_the_next_service() -> None:
    app = file_service_app()
    caller_context = CorrelationContext.from_header("teacher-request-5")
    async with (
        app.test_app(),
        ServiceClient(
            service_name="cj_assessment_service",
            target_service="file_service",
            base_url="http://file-service",
            internal_api_key=SecretStr("k"),
            breaker=CircuitBreaker("file_service"),
            transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]  # Quart types its own ASGI callables
        ) as client,
    ):
        with correlation_scope(caller_context):
            response = await client.get("/internal/v1/whoami")

    assert response.json() == {"uuid": str(caller_context.uuid), "original": "teacher-request-5"}
    assert response.headers["X-Correlation-ID"] == "teacher-request-5"
