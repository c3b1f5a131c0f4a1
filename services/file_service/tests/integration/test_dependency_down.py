"""The real app with its database behind a TcpProxy: PostgreSQL down is a 503 "The database is
unavailable" with the caller's correlation id, and the app serves again once it is back (the
engine pings pooled connections, so one lost while idle is replaced, not an error). Redis only
carries wake-ups (test_api_without_redis.py: uploads still commit) and no route touches Kafka
(the worker's relay publishes), so neither can fail a route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from huleedu_service_libs.testing.proxy import TcpProxy
from huleedu_service_libs.testing.unavailable import assert_unavailable
from services.file_service.tests.integration.conftest import new_batch, teacher

pytestmark = pytest.mark.integration
DATABASE_DOWN = "The database is unavailable"


@pytest.fixture
async def database_proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    async with TcpProxy.in_front_of(database_url) as proxy:
        yield proxy


@pytest.fixture
def settings_overrides(database_proxy: TcpProxy, database_url: str) -> dict[str, Any]:
    return {"DATABASE_URL": database_proxy.url(database_url)}


def assert_database_down(response: httpx.Response, correlation: str) -> None:
    assert_unavailable(
        response.status_code,
        response.json(),
        response.headers,
        message=DATABASE_DOWN,
        service="file_service",
        correlation=correlation,
    )


async def create_batch(client: httpx.AsyncClient, correlation: str) -> httpx.Response:
    body = {"title": "Spring essays", "course_code": "ENG5"}
    return await client.post("/v1/files/batch", json=body, headers=teacher(correlation=correlation))


async def test_postgres_down_is_a_503_until_it_is_back(
    client: httpx.AsyncClient, database_proxy: TcpProxy
) -> None:
    batch_id = await new_batch(client)

    await database_proxy.stop()
    created = await create_batch(client, "create-while-down")
    listed = await client.get("/v1/files/batch", headers=teacher(correlation="list-while-down"))
    read = await client.get(f"/v1/files/batch/{batch_id}", headers=teacher(correlation="read"))
    await database_proxy.start()

    assert_database_down(created, "create-while-down")
    assert_database_down(listed, "list-while-down")
    assert_database_down(read, "read")
    assert (await create_batch(client, "after")).status_code == 201
