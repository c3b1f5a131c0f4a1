"""The real app with PostgreSQL and Redis each behind a TcpProxy, taken away in turn.

PostgreSQL down is a 503 "The database is unavailable" with the caller's correlation id, until it
is back. Redis holds only the rate-limit windows, which fail open (rate limits protect, credits
are the money): with Redis down a charge still succeeds and /healthz names Redis. No route
touches Kafka (the worker's relay publishes). A connection lost under a statement is
test_api.py's pg_terminate_backend test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from quart.typing import TestClientProtocol as Client
from quart.wrappers import Response

from huleedu_service_libs.testing.proxy import TcpProxy
from huleedu_service_libs.testing.unavailable import assert_quart_unavailable
from services.entitlements_service.app import create_app
from services.entitlements_service.tests.support.fixtures import ADMIN, INTERNAL, settings_for
from services.entitlements_service.tests.support.paths import SERVICE_DIR

pytestmark = pytest.mark.integration
INTERNAL_PATH = "/internal/v1/entitlements"


@dataclass
class ProxiedService:
    client: Client
    database: TcpProxy
    redis: TcpProxy

    async def consume(self, correlation: str) -> Response:
        body = {
            "user_id": "u-down",
            "metric": "cj_comparison",  # rate limited: the charge reads and writes Redis
            "quantity": 1,
            "idempotency_key": uuid4().hex,
        }
        headers = {**INTERNAL, "X-Correlation-ID": correlation}
        return await self.client.post(
            f"{INTERNAL_PATH}/consume-credits", json=body, headers=headers
        )

    async def hold(self, correlation: str) -> Response:
        body: dict[str, Any] = {
            "user_id": "u-down",
            "metric": "cj_comparison",
            "quantity": 2,
            "idempotency_key": uuid4().hex,
        }
        headers = {**INTERNAL, "X-Correlation-ID": correlation}
        return await self.client.post(f"{INTERNAL_PATH}/authorizations", json=body, headers=headers)

    async def balance(self) -> int:
        response = await self.client.get(
            "/v1/entitlements/balance", headers={"X-User-ID": "u-down"}
        )
        assert response.status_code == 200, await response.get_data(as_text=True)
        [account] = (await response.get_json())["accounts"]
        return int(account["balance"])


@pytest.fixture
async def service(
    migrated_database: Callable[[Path], Awaitable[str]], redis_url: str
) -> AsyncIterator[ProxiedService]:
    database_url = await migrated_database(SERVICE_DIR)
    async with (
        TcpProxy.in_front_of(database_url) as database,
        TcpProxy.in_front_of(redis_url) as redis,
    ):
        app = create_app(settings_for(database.url(database_url), redis.url(redis_url)))
        async with app.test_app():
            client = app.test_client()
            grant = await client.post(
                "/admin/v1/entitlements/accounts/user/u-down/adjust",
                json={"delta": 100, "note": "test grant"},
                headers=ADMIN,
            )
            assert grant.status_code == 200
            yield ProxiedService(client, database, redis)


async def assert_database_down(response: Response, correlation: str) -> None:
    await assert_quart_unavailable(
        response, service="entitlements_service", correlation=correlation
    )


async def test_postgres_down_is_a_503_until_it_is_back(service: ProxiedService) -> None:
    assert (await service.consume("before")).status_code == 200
    balance = await service.balance()

    await service.database.stop()
    charge = await service.consume("charge-while-down")
    hold = await service.hold("hold-while-down")
    await service.database.start()

    await assert_database_down(charge, "charge-while-down")
    await assert_database_down(hold, "hold-while-down")
    assert (await service.consume("after")).status_code == 200
    assert await service.balance() == balance - 1  # only the charge made after the outage


async def test_redis_down_lets_charges_through_and_healthz_names_it(
    service: ProxiedService,
) -> None:
    balance = await service.balance()
    await service.redis.stop()
    charge = await service.consume("charge-without-redis")
    health = await service.client.get("/healthz")
    await service.redis.start()

    assert charge.status_code == 200, await charge.get_data(as_text=True)
    assert await service.balance() == balance - 1
    assert health.status_code == 503
    assert (await health.get_json())["failing"] == ["redis"]
