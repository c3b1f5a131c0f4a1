"""Concurrency storms through the HTTP API on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from services.entitlements_service.tests.support.fixtures import (  # noqa: F401
    INTERNAL,
    RunningService,
    ServiceFactory,
    running_service_fixture,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CONSUME = "/internal/v1/entitlements/consume-credits"
HOLDS = "/internal/v1/entitlements/authorizations"
NO_BONUS = {"RATE_LIMITS_ENABLED": False, "DATABASE_POOL_SIZE": 20}


async def _post(service: RunningService, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = await service.client.post(path, json=body, headers=INTERNAL)
    return response.status_code, await response.get_json()


def _consumption(key: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": "storm",
        "metric": "ai_feedback_generation",
        "quantity": quantity,
        "idempotency_key": key,
        **extra,
    }


async def test_100_concurrent_charges_on_one_account_never_overdraw(
    running_service: ServiceFactory,
) -> None:
    service = await running_service(**NO_BONUS)
    await service.grant("user:storm", 187)  # 50 bonus + 187 = 237 credits; each charge costs 5
    results = await asyncio.gather(
        *(_post(service, CONSUME, _consumption(f"storm-{i}")) for i in range(100))
    )

    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 237 // 5, 402: 100 - 237 // 5}
    refused = next(body for status, body in results if status == 402)
    assert refused["details"]["required"] == 5
    assert refused["details"]["available"] < 5
    balance, held, ledger_sum, held_sum = await service.books_balance("user:storm")
    assert balance == 237 - 5 * (237 // 5) >= 0
    assert (balance, held) == (ledger_sum, held_sum)


async def test_20_identical_concurrent_requests_charge_once(
    running_service: ServiceFactory,
) -> None:
    service = await running_service(**NO_BONUS)
    body = _consumption("same-key", quantity=2)
    results = await asyncio.gather(*(_post(service, CONSUME, body) for _ in range(20)))

    assert {status for status, _ in results} == {200}
    assert len({answer["ledger_entry_id"] for _, answer in results}) == 1
    assert sum(not answer["idempotent_replay"] for _, answer in results) == 1
    balance, _, ledger_sum, _ = await service.books_balance("user:storm")
    assert balance == ledger_sum == 50 - 10
    usage_events = await service.scalar(
        "SELECT count(*) FROM event_outbox WHERE event_type LIKE '%usage.recorded%'"
    )
    assert usage_events == 1


async def test_100_concurrent_holds_then_consume_and_release_keep_the_books(
    running_service: ServiceFactory,
) -> None:
    service = await running_service(**NO_BONUS)
    await service.grant("org:school", 600)  # 500 bonus + 600 = 1100; each hold reserves 25
    holds = await asyncio.gather(
        *(
            _post(service, HOLDS, _consumption(f"hold-{i}", quantity=5, org_id="school"))
            for i in range(100)
        )
    )
    granted = [body for status, body in holds if status == 201]
    payers = Counter(body["charged_subject_type"] for body in granted)
    # The org covers 44 holds of 25; then the user's own 50 (signup bonus) covers 2 more.
    assert payers == {"org": 1100 // 25, "user": 50 // 25}
    assert Counter(status for status, _ in holds) == {201: 46, 402: 54}

    async def work(hold: dict[str, Any], index: int) -> None:
        path = f"{HOLDS}/{hold['authorization_id']}"
        step = {"quantity": 2, "idempotency_key": f"step-{index}"}
        await asyncio.gather(
            _post(service, path + "/consume", step), _post(service, path + "/consume", step)
        )
        await _post(service, path + "/release", {})

    await asyncio.gather(*(work(hold, index) for index, hold in enumerate(granted)))

    for subject, start, count in (("org:school", 1100, 44), ("user:storm", 50, 2)):
        balance, held, ledger_sum, held_sum = await service.books_balance(subject)
        assert held == 0
        assert balance == start - count * 10
        assert (balance, held) == (ledger_sum, held_sum)


async def test_concurrent_first_charges_of_a_new_user_are_all_paid_from_its_bonus(
    running_service: ServiceFactory,
) -> None:
    service = await running_service(**NO_BONUS)
    bodies = [_consumption(f"first-{i}", user_id="newcomer") for i in range(20)]
    for body in bodies:
        body["metric"] = "cj_comparison"  # costs 1; the user's signup bonus is 50
    results = await asyncio.gather(*(_post(service, CONSUME, body) for body in bodies))

    assert [status for status, _ in results] == [200] * 20
    balance, _, ledger_sum, _ = await service.books_balance("user:newcomer")
    assert balance == ledger_sum == 50 - 20
    bonuses = await service.scalar(
        "SELECT count(*) FROM credit_ledger WHERE reason = 'signup_bonus'"
        " AND subject_id = 'newcomer'"
    )
    assert bonuses == 1
