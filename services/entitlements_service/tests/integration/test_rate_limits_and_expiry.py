"""Rate limits on the real Redis (the Lua sliding window), and hold expiry on real PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as redis_asyncio

from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.implementations.redis_rate_limits import RedisRateLimitStore
from services.entitlements_service.tests.support.fakes import FakeClock, InMemoryRateLimitStore
from services.entitlements_service.tests.support.fixtures import (  # noqa: F401
    INTERNAL,
    ClockProvider,
    ServiceFactory,
    running_service_fixture,
)

pytestmark = pytest.mark.integration
LIMITS = [(3, 60), (5, 3600)]


async def test_the_sliding_window_admits_up_to_the_limit_and_forgets_by_token(
    redis_url: str,
) -> None:
    client = redis_asyncio.Redis.from_url(redis_url, decode_responses=True)
    store = RedisRateLimitStore(client)
    try:
        first = await store.acquire("k", LIMITS, 2, "a", now=1000.0)
        second = await store.acquire("k", LIMITS, 1, "b", now=1010.0)
        refused = await store.acquire("k", LIMITS, 1, "c", now=1020.0)
        assert [w.used for w in first] == [0, 0]
        assert [w.used for w in refused] == [3, 3]
        assert refused[0].retry_after_seconds == 40  # the first usage leaves the minute at 1060
        await store.release("k", LIMITS, 1, "b")
        assert [w.used for w in await store.windows("k", LIMITS, now=1030.0)] == [2, 2]
        later = await store.windows("k", LIMITS, now=1061.0)
        assert [w.used for w in later] == [0, 2]
        assert [w.used for w in second] == [2, 2]
    finally:
        await client.aclose()


async def test_the_running_totals_match_a_recount_through_expiry_releases_and_a_lost_total(
    redis_url: str,
) -> None:
    """Random traffic against the Redis windows and the in-memory log that recounts everything:
    every answer must agree, also after a running total is lost and two limits share a window."""
    client = redis_asyncio.Redis.from_url(redis_url, decode_responses=True)
    redis_store, recount = RedisRateLimitStore(client), InMemoryRateLimitStore()
    limits = [(40, 30), (90, 120), (95, 120)]
    rng, now, granted = random.Random(7), 5000.0, []
    try:
        for step in range(600):
            now += rng.uniform(0.0, 1.5)
            quantity, token = rng.randint(1, 4), f"t{step}"
            answers = [
                await store.acquire("busy", limits, quantity, token, now)
                for store in (redis_store, recount)
            ]
            assert answers[0] == answers[1], step
            if all(window.allows(quantity) for window in answers[1]):
                granted.append((quantity, token))
            if granted and rng.random() < 0.1:
                quantity, token = granted.pop(rng.randrange(len(granted)))
                for store in (redis_store, recount):
                    await store.release("busy", limits, quantity, token)
            if step == 300:
                await client.delete("busy:30s:used")
        assert max(window.used for window in answers[1]) > 30  # the windows were busy
    finally:
        await client.aclose()


async def test_a_rate_limited_charge_is_429_announced_and_not_charged(
    running_service: ServiceFactory, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: tight\nmetrics:\n  cj_comparison:\n    cost_per_unit: 1\n"
        "    rate_limits: [{count: 2, per: minute}]\nsignup_bonus: {user: 10}\n"
    )
    service = await running_service(POLICY_PATH=policy)
    url = "/internal/v1/entitlements/consume-credits"

    def body(key: str) -> dict[str, object]:
        return {"user_id": "r1", "metric": "cj_comparison", "quantity": 1, "idempotency_key": key}

    assert (await service.client.post(url, json=body("1"), headers=INTERNAL)).status_code == 200
    assert (await service.client.post(url, json=body("2"), headers=INTERNAL)).status_code == 200
    refused = await service.client.post(url, json=body("3"), headers=INTERNAL)
    detail = await refused.get_json()
    assert refused.status_code == 429
    assert detail["error_code"] == "RATE_LIMIT"
    assert detail["details"]["window_seconds"] == 60
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert (await service.books_balance("user:r1"))[0] == 8
    announced = await service.scalar(
        "SELECT count(*) FROM event_outbox WHERE event_type LIKE '%rate_limit.exceeded%'"
    )
    assert announced == 1
    replay = await service.client.post(url, json=body("1"), headers=INTERNAL)
    assert (await replay.get_json())["idempotent_replay"] is True  # replays are not limited


async def test_expired_holds_are_swept_and_their_credit_returns(
    running_service: ServiceFactory,
) -> None:
    clock = FakeClock(datetime.now(UTC))
    service = await running_service(ClockProvider(clock))
    created = await service.client.post(
        "/internal/v1/entitlements/authorizations",
        json={
            "user_id": "e1",
            "metric": "cj_comparison",
            "quantity": 30,
            "idempotency_key": "h",
            "ttl_seconds": 1,
        },
        headers=INTERNAL,
    )
    assert created.status_code == 201
    assert await service.books_balance("user:e1") == (50, 30, 50, 30)
    assert await (await service.app.container.get(Authorizations)).expire_due(10) == 0
    clock.advance(2)
    holds = await service.app.container.get(Authorizations)

    assert await holds.expire_due(batch_size=10) == 1
    assert await holds.expire_due(batch_size=10) == 0
    assert await service.books_balance("user:e1") == (50, 0, 50, 0)
    status = await service.scalar("SELECT status FROM credit_authorizations")
    assert status == "expired"
    reasons = await service.rows("SELECT reason FROM credit_ledger ORDER BY seq")
    assert [row.reason for row in reasons] == ["signup_bonus", "hold", "hold_expiry"]
