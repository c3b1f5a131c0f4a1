"""Each dependency taken away in turn behind a TcpProxy: the route answers 503 naming it, with
the request's correlation id, and works again once the dependency is back. The clients raise
what they really raise (asyncpg under SQLAlchemy, redis-py, aiokafka, httpx via ServiceClient)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import redis.asyncio as redis_asyncio
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr
from quart import Quart
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from werkzeug.datastructures import Headers

from huleedu_service_libs.correlation import CORRELATION_HEADER, setup_correlation_middleware
from huleedu_service_libs.database import asyncpg_connection
from huleedu_service_libs.error_handling import register_error_handlers
from huleedu_service_libs.http_client import ServiceClient
from huleedu_service_libs.resilience import CircuitBreaker
from huleedu_service_libs.testing.proxy import TcpProxy
from huleedu_service_libs.testing.unavailable import assert_unavailable

pytestmark = pytest.mark.integration
SERVICE = "demo_service"
Route = Callable[[], Awaitable[None]]


@dataclass
class Answer:
    status: int
    body: dict[str, object]
    headers: Headers


def app_calling(route: Route) -> Quart:
    app = Quart(__name__)
    setup_correlation_middleware(app)
    register_error_handlers(app, SERVICE)

    @app.get("/work")
    async def work() -> dict[str, str]:
        await route()
        return {"status": "done"}

    return app


async def ask(app: Quart) -> Answer:
    response = await app.test_client().get("/work", headers={CORRELATION_HEADER: "teacher-req-1"})
    return Answer(response.status_code, await response.get_json(), response.headers)


def assert_down(answer: Answer, message: str) -> None:
    assert_unavailable(
        answer.status,
        answer.body,
        answer.headers,
        message=message,
        service=SERVICE,
        correlation="teacher-req-1",
    )


@pytest.fixture
async def database(fresh_database_url: str) -> AsyncIterator[tuple[TcpProxy, AsyncEngine]]:
    async with TcpProxy.in_front_of(fresh_database_url) as proxy:
        engine = create_async_engine(proxy.url(fresh_database_url), pool_size=1, max_overflow=0)
        yield proxy, engine
        await engine.dispose()


async def test_postgres_stopped_or_cut_is_a_503_through_sqlalchemy(
    database: tuple[TcpProxy, AsyncEngine],
) -> None:
    proxy, engine = database

    async def select_one() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    app = app_calling(select_one)
    assert (await ask(app)).status == 200
    await proxy.cut()  # the pooled connection dies under the next statement
    assert_down(await ask(app), "The database is unavailable")
    await proxy.stop()  # and now no new connection can be made
    assert_down(await ask(app), "The database is unavailable")
    await proxy.start()
    assert (await ask(app)).status == 200


async def test_postgres_cut_under_raw_asyncpg_is_a_503(
    database: tuple[TcpProxy, AsyncEngine],
) -> None:
    proxy, engine = database

    async def fetch_one() -> None:
        async with asyncpg_connection(engine) as driver:
            await driver.fetchval("SELECT 1")

    app = app_calling(fetch_one)
    assert (await ask(app)).status == 200
    await proxy.cut()
    assert_down(await ask(app), "The database is unavailable")
    assert (await ask(app)).status == 200


async def test_redis_stopped_is_a_503(redis_url: str) -> None:
    async with TcpProxy.in_front_of(redis_url) as proxy:
        client = redis_asyncio.Redis.from_url(proxy.url(redis_url))
        app = app_calling(lambda: _ignore(client.get("some-key")))
        assert (await ask(app)).status == 200
        await proxy.stop()
        assert_down(await ask(app), "Redis is unavailable")
        await proxy.start()
        assert (await ask(app)).status == 200
        await client.aclose()


async def test_kafka_unreachable_is_a_503(kafka_bootstrap: str) -> None:
    async with TcpProxy.in_front_of(kafka_bootstrap.split(",")[0]) as proxy:

        async def connect_producer() -> None:
            producer = AIOKafkaProducer(bootstrap_servers=proxy.address, request_timeout_ms=5000)
            try:
                await producer.start()
            finally:
                await producer.stop()

        app = app_calling(connect_producer)
        assert (await ask(app)).status == 200
        await proxy.stop()
        assert_down(await ask(app), "Kafka is unavailable")


async def test_another_service_unreachable_is_a_503_naming_it() -> None:
    async with _http_responder() as port, TcpProxy("127.0.0.1", port) as proxy:
        breaker = CircuitBreaker("file_service", failure_threshold=5, recovery_timeout=30)
        async with ServiceClient(
            service_name=SERVICE,
            target_service="file_service",
            base_url=f"http://{proxy.address}",
            internal_api_key=SecretStr("internal-key"),
            breaker=breaker,
        ) as client:
            app = app_calling(lambda: _ignore(client.get("/internal/v1/content/x")))
            assert (await ask(app)).status == 200
            await proxy.stop()
            assert_down(await ask(app), "file_service is unavailable (not reached)")


async def _ignore(result: Awaitable[object]) -> None:
    await result


@asynccontextmanager
async def _http_responder() -> AsyncIterator[int]:
    """A bare HTTP/1.1 server answering 200 `{}` to anything: the other service, up."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, OSError):
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
