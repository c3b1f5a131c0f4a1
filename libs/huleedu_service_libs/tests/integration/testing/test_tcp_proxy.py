"""TcpProxy in front of the real Redis: forwards, refuses when stopped, resets on a cut."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import redis.asyncio as redis_asyncio
from redis.exceptions import ConnectionError as RedisConnectionError

from huleedu_service_libs.testing.proxy import TcpProxy

pytestmark = pytest.mark.integration


@pytest.fixture
async def proxy(redis_url: str) -> AsyncIterator[TcpProxy]:
    async with TcpProxy.in_front_of(redis_url) as running:
        yield running


def client_through(proxy: TcpProxy, redis_url: str) -> redis_asyncio.Redis:
    return redis_asyncio.Redis.from_url(proxy.url(redis_url), retry_on_error=[], retry=None)


async def test_forwards_to_the_target_and_rewrites_only_host_and_port(
    proxy: TcpProxy, redis_url: str
) -> None:
    client = client_through(proxy, redis_url)

    assert await client.ping() is True
    original, proxied = urlsplit(redis_url), urlsplit(proxy.url(redis_url))
    assert (proxied.scheme, proxied.netloc, proxied.path) == (
        original.scheme,
        proxy.address,
        original.path,
    )
    assert proxy.open_connections == 1
    await client.aclose()


async def test_stopped_refuses_and_started_again_serves_on_the_same_port(
    proxy: TcpProxy, redis_url: str
) -> None:
    client = client_through(proxy, redis_url)
    await client.ping()
    port = proxy.port

    await proxy.stop()
    with pytest.raises(RedisConnectionError):
        await client.ping()
    await proxy.start()

    assert proxy.port == port
    assert await client.ping() is True
    await client.aclose()


async def test_a_cut_resets_open_connections_but_keeps_accepting(
    proxy: TcpProxy, redis_url: str
) -> None:
    held = client_through(proxy, redis_url)
    await held.ping()

    await proxy.cut()

    assert proxy.open_connections == 0
    with pytest.raises(RedisConnectionError):
        await held.ping()
    fresh = client_through(proxy, redis_url)
    assert await fresh.ping() is True
    await held.aclose()
    await fresh.aclose()


def test_in_front_of_takes_urls_and_bare_addresses() -> None:
    by_url = TcpProxy.in_front_of("postgresql+asyncpg://user:p%40ss@db.local:5433/app")
    by_address = TcpProxy.in_front_of("kafka.local:9092")

    assert (by_url.target_host, by_url.target_port) == ("db.local", 5433)
    assert (by_address.target_host, by_address.target_port) == ("kafka.local", 9092)
    assert by_url.url("postgresql+asyncpg://user:p%40ss@db.local:5433/app") == (
        f"postgresql+asyncpg://user:p%40ss@127.0.0.1:{by_url.port}/app"
    )
    with pytest.raises(ValueError, match="no host and port"):
        TcpProxy.in_front_of("redis://cache.local")
