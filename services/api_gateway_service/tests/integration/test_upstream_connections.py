"""The gateway's own HTTP/1.1 connections to a service, against raw socket servers: kept-alive
connections reused, one the service closed while idle replaced, HEAD answers, and a body that
ends with the connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from services.api_gateway_service.app import create_app
from services.api_gateway_service.tests.support import (
    gateway_settings,
    public_pem,
    rsa_key,
    serving,
    token,
)
from services.api_gateway_service.upstream import Broken, Upstream

pytestmark = pytest.mark.integration
KEY = rsa_key()
Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[bool]]


class RawService:
    """Answers each request with `answer(reader, writer, number)`; False closes the connection.
    Counts the connections it accepted."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests = 0

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                if not await self.answer(reader, writer, self.requests):
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()


@pytest.fixture
async def raw_service(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, RawService]]:
    service = RawService(request.param)
    server = await asyncio.start_server(service, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", service
    server.close()
    await server.wait_closed()


async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    await writer.drain()
    return True


async def close_after_each(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int
) -> bool:
    # Keep-alive as far as the headers say, closed anyway once answered (an idle timeout).
    await keep_alive(reader, writer, n)
    return False


async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
    writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nno length, ends with the connection")
    await writer.drain()
    return False


async def calls(redis_url: str, service_url: str, methods: list[str]) -> list[httpx.Response]:
    settings = gateway_settings(
        public_pem(KEY), REDIS_URL=redis_url, CLASS_MANAGEMENT_URL=service_url
    )
    headers = {"Authorization": f"Bearer {token(KEY)}"}
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        return [await client.request(method, "/v1/classes", headers=headers) for method in methods]


@pytest.mark.parametrize("raw_service", [keep_alive], indirect=True)
async def test_a_kept_alive_connection_carries_the_next_requests(
    redis_url: str, raw_service: tuple[str, RawService]
) -> None:
    url, service = raw_service
    responses = await calls(redis_url, url, ["GET"] * 3)
    assert [(r.status_code, r.text) for r in responses] == [(200, "ok")] * 3
    assert service.connections == 1


@pytest.mark.parametrize("raw_service", [close_after_each], indirect=True)
async def test_a_connection_the_service_closed_while_idle_is_replaced(
    redis_url: str, raw_service: tuple[str, RawService]
) -> None:
    url, service = raw_service
    responses = await calls(redis_url, url, ["GET"] * 3)
    assert [(r.status_code, r.text) for r in responses] == [(200, "ok")] * 3
    assert service.connections == 3


@pytest.mark.parametrize("raw_service", [keep_alive], indirect=True)
async def test_a_head_answer_has_no_body_and_the_next_request_still_works(
    redis_url: str, raw_service: tuple[str, RawService]
) -> None:
    url, _ = raw_service
    head, after = await calls(redis_url, url, ["HEAD", "GET"])
    assert (head.status_code, head.content) == (200, b"")
    assert (after.status_code, after.text) == (200, "ok")


@pytest.mark.parametrize("raw_service", [until_close], indirect=True)
async def test_a_body_that_ends_with_the_connection_is_relayed_whole(
    redis_url: str, raw_service: tuple[str, RawService]
) -> None:
    url, _ = raw_service
    [response] = await calls(redis_url, url, ["GET"])
    assert (response.status_code, response.text) == (200, "no length, ends with the connection")


@pytest.mark.parametrize("declared", ["4", "20"])
@pytest.mark.parametrize("raw_service", [keep_alive], indirect=True)
async def test_a_body_that_disagrees_with_its_content_length_gives_up_the_connection(
    raw_service: tuple[str, RawService], declared: str
) -> None:
    url, _ = raw_service
    upstream = Upstream(gateway_settings(public_pem(KEY)))

    async def ten_bytes() -> AsyncIterator[bytes]:
        yield b"x" * 10

    try:
        with pytest.raises(Broken):
            await upstream.send(
                "POST", url, b"/v1/classes", [("Content-Length", declared)], ten_bytes()
            )
    finally:
        await upstream.aclose()
