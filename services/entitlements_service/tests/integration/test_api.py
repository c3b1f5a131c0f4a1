"""The HTTP API on real PostgreSQL and Redis: happy paths, identity, and the bad-input matrix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.entitlements_service.tests.support.fakes import FakeClock
from services.entitlements_service.tests.support.fixtures import (  # noqa: F401
    ADMIN,
    INTERNAL,
    ClockProvider,
    RunningService,
    ServiceFactory,
    running_service_fixture,
)

pytestmark = pytest.mark.integration
BASE = "/internal/v1/entitlements"
CORRELATION = {"X-Correlation-ID": "caller-trace-7"}
UNKNOWN_HOLD = "4f1c2b7e-9d0a-4c3b-8e6f-123456789abc"  # fixed: xdist workers must collect alike


def consumption(**changes: Any) -> dict[str, Any]:
    return {
        "user_id": "u1",
        "metric": "cj_comparison",
        "quantity": 2,
        "idempotency_key": uuid4().hex,
        **changes,
    }


async def _written(service: RunningService) -> tuple[int, int, int]:
    return (
        await service.scalar("SELECT count(*) FROM credit_ledger"),
        await service.scalar("SELECT count(*) FROM credit_authorizations"),
        await service.scalar("SELECT count(*) FROM event_outbox"),
    )


@pytest.fixture
async def service(running_service: ServiceFactory) -> RunningService:
    started = await running_service()
    await started.grant("user:u1", 10)
    return started


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "code"),
    [
        ("/consume-credits", consumption(), {}, 401, "AUTHENTICATION_ERROR"),
        (
            "/consume-credits",
            consumption(),
            {"X-Internal-API-Key": "wrong"},
            401,
            "AUTHENTICATION_ERROR",
        ),
        ("/consume-credits", {"user_id": "u1"}, INTERNAL, 422, "SCHEMA_VALIDATION_ERROR"),
        ("/consume-credits", consumption(quantity=0), INTERNAL, 422, "SCHEMA_VALIDATION_ERROR"),
        ("/consume-credits", consumption(quantity=-3), INTERNAL, 422, "SCHEMA_VALIDATION_ERROR"),
        ("/consume-credits", consumption(quantity="two"), INTERNAL, 422, "SCHEMA_VALIDATION_ERROR"),
        ("/consume-credits", consumption(user_id=""), INTERNAL, 422, "SCHEMA_VALIDATION_ERROR"),
        (
            "/consume-credits",
            consumption(metric="Not A Metric"),
            INTERNAL,
            422,
            "SCHEMA_VALIDATION_ERROR",
        ),
        ("/consume-credits", consumption(metric="telepathy"), INTERNAL, 400, "VALIDATION_ERROR"),
        ("/consume-credits", consumption(quantity=1000), INTERNAL, 402, "INSUFFICIENT_CREDITS"),
        ("/consume-credits", consumption(quantity=10**20), INTERNAL, 400, "VALIDATION_ERROR"),
        ("/authorizations", consumption(quantity=2**40), INTERNAL, 400, "VALIDATION_ERROR"),
        ("/consume-credits", [1, 2, 3], INTERNAL, 422, "SCHEMA_VALIDATION_ERROR"),
        ("/consume-credits", consumption(user_id="a\x00b"), INTERNAL, 400, "VALIDATION_ERROR"),
        ("/authorizations", consumption(quantity=0), INTERNAL, 422, "SCHEMA_VALIDATION_ERROR"),
        ("/authorizations", consumption(metric="essay_upload"), INTERNAL, 400, "VALIDATION_ERROR"),
        ("/authorizations", consumption(ttl_seconds=10**9), INTERNAL, 400, "VALIDATION_ERROR"),
        ("/authorizations", consumption(quantity=61), INTERNAL, 402, "INSUFFICIENT_CREDITS"),
        (
            f"/authorizations/{UNKNOWN_HOLD}/consume",
            {"quantity": 1, "idempotency_key": "k"},
            INTERNAL,
            404,
            "RESOURCE_NOT_FOUND",
        ),
        (f"/authorizations/{UNKNOWN_HOLD}/release", {}, INTERNAL, 404, "RESOURCE_NOT_FOUND"),
        ("/authorizations/not-a-uuid/release", {}, INTERNAL, 404, "RESOURCE_NOT_FOUND"),
        (
            "/check-credits/bulk",
            {"user_id": "u1", "requirements": []},
            INTERNAL,
            422,
            "SCHEMA_VALIDATION_ERROR",
        ),
    ],
)
async def test_bad_input_is_refused_with_an_error_detail_and_writes_nothing(
    service: RunningService,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    before = await _written(service)
    response = await service.client.post(BASE + path, json=body, headers={**headers, **CORRELATION})
    detail = await response.get_json()
    assert response.status_code == status, detail
    assert detail["error_code"] == code
    assert detail["original_correlation_id"] == "caller-trace-7"
    UUID(detail["correlation_id"])
    assert await _written(service) == before


async def test_malformed_json_huge_bodies_and_wrong_media_types_are_4xx(
    service: RunningService,
) -> None:
    url = BASE + "/consume-credits"
    broken = await service.client.post(
        url, data=b"{not json", headers={**INTERNAL, "Content-Type": "application/json"}
    )
    huge = await service.client.post(
        url, json=consumption(resource_id="x" * 200_000), headers=INTERNAL
    )
    text = await service.client.post(
        url, data=b"user_id=u1", headers={**INTERNAL, "Content-Type": "text/plain"}
    )
    assert broken.status_code in (400, 422)
    assert huge.status_code == 413
    assert text.status_code == 415
    for response in (broken, huge, text):
        assert "error_code" in await response.get_json()


async def test_insufficient_credits_reports_required_and_available(service: RunningService) -> None:
    response = await service.client.post(
        BASE + "/consume-credits", json=consumption(quantity=61), headers=INTERNAL
    )
    details = (await response.get_json())["details"]
    assert (details["required"], details["available"]) == (61, 60)


async def test_same_key_different_payload_is_409(service: RunningService) -> None:
    body = consumption()
    first = await service.client.post(BASE + "/consume-credits", json=body, headers=INTERNAL)
    changed = await service.client.post(
        BASE + "/consume-credits", json={**body, "quantity": 3}, headers=INTERNAL
    )
    assert (first.status_code, changed.status_code) == (200, 409)


async def test_a_repeat_after_the_balance_ran_out_is_the_original_charge(
    service: RunningService,
) -> None:
    body = consumption(quantity=60)
    first = await service.client.post(BASE + "/consume-credits", json=body, headers=INTERNAL)
    again = await service.client.post(BASE + "/consume-credits", json=body, headers=INTERNAL)
    fresh = await service.client.post(
        BASE + "/consume-credits", json=consumption(quantity=1), headers=INTERNAL
    )

    original, repeat = await first.get_json(), await again.get_json()
    assert (first.status_code, again.status_code, fresh.status_code) == (200, 200, 402)
    assert repeat["idempotent_replay"]
    assert (repeat["ledger_entry_id"], repeat["balance_after"]) == (original["ledger_entry_id"], 0)
    assert await service.scalar("SELECT count(*) FROM credit_ledger WHERE delta < 0") == 1


async def test_hold_lifecycle_and_foreign_or_expired_holds(
    running_service: ServiceFactory,
) -> None:
    clock = FakeClock(datetime.now(UTC))
    service = await running_service(ClockProvider(clock))
    await service.grant("user:u1", 10)
    created = await service.client.post(
        BASE + "/authorizations", json=consumption(quantity=20, ttl_seconds=1), headers=INTERNAL
    )
    hold = await created.get_json()
    assert created.status_code == 201
    path = f"{BASE}/authorizations/{hold['authorization_id']}"
    foreign = await service.client.post(
        path + "/consume",
        json={"quantity": 1, "idempotency_key": "a"},
        headers={**INTERNAL, "X-User-ID": "someone-else"},
    )
    assert foreign.status_code == 404
    used = await service.client.post(
        path + "/consume",
        json={"quantity": 5, "idempotency_key": "a"},
        headers={**INTERNAL, "X-User-ID": "u1"},
    )
    assert (await used.get_json())["credits_remaining"] == 15
    clock.advance(2)
    expired = await service.client.post(
        path + "/consume", json={"quantity": 1, "idempotency_key": "b"}, headers=INTERNAL
    )
    assert expired.status_code == 409
    assert (await expired.get_json())["details"]["status"] == "expired"
    released = await service.client.post(path + "/release", json={}, headers=INTERNAL)
    assert (await released.get_json())["status"] == "released"
    assert await service.books_balance("user:u1") == (55, 0, 55, 0)


async def test_preflight_single_and_bulk(service: RunningService) -> None:
    single = await service.client.post(
        BASE + "/check-credits",
        json={"user_id": "u1", "metric": "cj_comparison", "quantity": 60},
        headers=INTERNAL,
    )
    bulk = await service.client.post(
        BASE + "/check-credits/bulk",
        json={
            "user_id": "u1",
            "requirements": [
                {"metric": "cj_comparison", "quantity": 10},
                {"metric": "ai_feedback_generation", "quantity": 11},
            ],
        },
        headers=INTERNAL,
    )
    single_body, bulk_body = await single.get_json(), await bulk.get_json()
    assert (single_body["allowed"], single_body["source"], single_body["rate_limit"]["limit"]) == (
        True,
        "user",
        20000,
    )
    assert (bulk_body["allowed"], bulk_body["required_credits"], bulk_body["denial"]) == (
        False,
        65,
        "insufficient_credits",
    )


async def test_teacher_routes_need_a_user_and_show_only_their_own(service: RunningService) -> None:
    anonymous = await service.client.get("/v1/entitlements/balance")
    assert anonymous.status_code == 401
    mine = await service.client.get(
        "/v1/entitlements/balance", headers={"X-User-ID": "u1", "X-Org-ID": "o1"}
    )
    body = await mine.get_json()
    assert {(a["subject_type"], a["subject_id"], a["balance"]) for a in body["accounts"]} == {
        ("user", "u1", 60),
        ("org", "o1", 500),
    }
    other = await service.client.get("/v1/entitlements/ledger", headers={"X-User-ID": "u2"})
    assert (await other.get_json())["entries"] == []  # none of u1's movements
    page = await service.client.get("/v1/entitlements/ledger?limit=1", headers={"X-User-ID": "u1"})
    first = await page.get_json()
    older = await service.client.get(
        f"/v1/entitlements/ledger?limit=1&cursor={first['next_cursor']}",
        headers={"X-User-ID": "u1"},
    )
    assert [e["reason"] for e in first["entries"] + (await older.get_json())["entries"]] == [
        "admin_adjustment",
        "signup_bonus",
    ]
    for query in ("limit=0", "cursor=99999999999999999999", "cursor=-1", "account=school"):
        bad = await service.client.get(
            f"/v1/entitlements/ledger?{query}", headers={"X-User-ID": "u1"}
        )
        assert bad.status_code in (400, 422), query
    no_org = await service.client.get(
        "/v1/entitlements/ledger?account=org", headers={"X-User-ID": "u1"}
    )
    assert no_org.status_code == 400


async def test_admin_routes_need_the_key_and_are_audited(service: RunningService) -> None:
    url = "/admin/v1/entitlements/accounts/user/u1/balance"
    refused = await service.client.put(url, json={"balance": 5, "note": "x"})
    assert refused.status_code == 401
    nul = await service.client.post(
        "/admin/v1/entitlements/accounts/user/a%00b/adjust",
        json={"delta": 1, "note": "x"},
        headers=ADMIN,
    )
    assert nul.status_code == 400
    done = await service.client.put(
        url, json={"balance": 5, "note": "reset"}, headers={**ADMIN, "X-Admin-User": "ops"}
    )
    assert (await done.get_json())["account"]["balance"] == 5
    search = await service.client.get(
        "/admin/v1/entitlements/ledger?reason=admin_adjustment", headers=ADMIN
    )
    naive = await service.client.get(
        "/admin/v1/entitlements/ledger?since=2026-01-01T00:00:00", headers=ADMIN
    )
    assert naive.status_code in (400, 422)
    assert {e["actor"] for e in (await search.get_json())["entries"]} == {"admin", "ops"}
    reload = await service.client.post("/admin/v1/entitlements/policy/reload", headers=ADMIN)
    assert reload.status_code == 200
    actions = await service.rows("SELECT action FROM admin_audit_log ORDER BY id")
    assert [row.action for row in actions] == [
        "adjust_balance",
        "set_balance",
        "search_ledger",
        "reload_policy",
    ]


async def test_health_and_openapi(service: RunningService) -> None:
    health = await service.client.get("/healthz")
    spec = await (await service.client.get("/openapi.json")).get_json()
    assert health.status_code == 200
    assert f"{BASE}/consume-credits" in spec["paths"]


async def test_metrics_count_charges_by_result_and_payer(service: RunningService) -> None:
    charge = consumption(quantity=3)
    await service.client.post(BASE + "/consume-credits", json=charge, headers=INTERNAL)
    await service.client.post(BASE + "/consume-credits", json=charge, headers=INTERNAL)
    await service.client.post(
        BASE + "/consume-credits", json=consumption(quantity=999), headers=INTERNAL
    )
    text = await (await service.client.get("/metrics")).get_data(as_text=True)
    assert 'entitlements_charges_total{payer="user",result="charged"} 1.0' in text
    assert 'entitlements_charges_total{payer="user",result="replayed"} 1.0' in text
    assert 'entitlements_charges_total{payer="user",result="refused"} 1.0' in text
    assert 'entitlements_credits_charged_total{payer="user"} 3.0' in text
    assert 'entitlements_refusals_total{code="INSUFFICIENT_CREDITS"} 1.0' in text


async def test_a_database_connection_lost_mid_request_is_a_503_and_the_next_charge_works(
    running_service: ServiceFactory,
) -> None:
    service = await running_service(DATABASE_POOL_SIZE=1, DATABASE_MAX_OVERFLOW=0)
    body = {"user_id": "u-lost", "metric": "cj_comparison", "quantity": 1}
    first = await service.client.post(
        "/internal/v1/entitlements/consume-credits",
        json={**body, "idempotency_key": "before"},
        headers=INTERNAL,
    )
    assert first.status_code == 200  # the service's one pooled connection is now open
    await service.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    lost = await service.client.post(
        "/internal/v1/entitlements/consume-credits",
        json={**body, "idempotency_key": "lost"},
        headers=INTERNAL,
    )
    after = await service.client.post(
        "/internal/v1/entitlements/consume-credits",
        json={**body, "idempotency_key": "after"},
        headers=INTERNAL,
    )

    assert lost.status_code == 503
    assert (await lost.get_json())["error_code"] == "SERVICE_UNAVAILABLE"
    assert after.status_code == 200
    keys = await service.rows(
        "SELECT idempotency_key FROM credit_ledger WHERE reason = 'consumption'"
    )
    assert sorted(row[0] for row in keys) == ["consume:after", "consume:before"]
