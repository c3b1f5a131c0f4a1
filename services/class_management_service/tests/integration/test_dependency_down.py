"""The real app with its database behind a TcpProxy: PostgreSQL down is a 503 "The database is
unavailable" on reads and writes, with the caller's correlation id, and the app serves again once
it is back. Redis carries only best-effort notifications (test_notifications.py) and no route
touches Kafka (the worker's relay publishes), so neither can fail a route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quart.typing import TestClientProtocol as Client
from quart.wrappers import Response

from huleedu_service_libs.testing.proxy import TcpProxy
from huleedu_service_libs.testing.unavailable import assert_quart_unavailable
from services.class_management_service.config import Settings, load_service_settings
from services.class_management_service.tests.integration.conftest import TEACHER

pytestmark = pytest.mark.integration


@pytest.fixture
async def database_proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    async with TcpProxy.in_front_of(database_url) as proxy:
        yield proxy


@pytest.fixture
def settings(database_url: str, redis_url: str, database_proxy: TcpProxy) -> Settings:
    return load_service_settings(
        DATABASE_URL=database_proxy.url(database_url), REDIS_URL=redis_url, ENVIRONMENT="testing"
    )


def as_caller(correlation: str) -> dict[str, str]:
    return {**TEACHER, "X-Correlation-ID": correlation}


async def create_class(client: Client, correlation: str) -> Response:
    body = {"name": "9A", "course_codes": ["ENG5"]}
    return await client.post("/v1/classes", json=body, headers=as_caller(correlation))


async def assert_database_down(response: Response, correlation: str) -> None:
    await assert_quart_unavailable(
        response, service="class_management_service", correlation=correlation
    )


async def test_postgres_down_is_a_503_until_it_is_back(
    client: Client, database_proxy: TcpProxy
) -> None:
    created = await create_class(client, "before")
    class_id = (await created.get_json())["id"]

    await database_proxy.stop()
    write = await create_class(client, "write-while-down")
    listed = await client.get("/v1/classes", headers=as_caller("list-while-down"))
    read = await client.get(f"/v1/classes/{class_id}", headers=as_caller("read-while-down"))
    await database_proxy.start()

    assert created.status_code == 201
    await assert_database_down(write, "write-while-down")
    await assert_database_down(listed, "list-while-down")
    await assert_database_down(read, "read-while-down")
    assert (await create_class(client, "after")).status_code == 201
