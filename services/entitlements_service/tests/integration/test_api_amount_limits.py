"""The admin amounts the API documents (up to 10^12) fit their columns, and only integers count."""

from typing import Any

import pytest

from services.entitlements_service.tests.support.fixtures import (  # noqa: F401
    ADMIN,
    RunningService,
    ServiceFactory,
    running_service_fixture,
)

pytestmark = pytest.mark.integration
ACCOUNT = "/admin/v1/entitlements/accounts/user/{}"
TOP = 10**12


@pytest.fixture
async def service(running_service: ServiceFactory) -> RunningService:
    return await running_service()


async def _admin(service: RunningService, method: str, path: str, body: Any) -> tuple[int, Any]:
    response = await getattr(service.client, method)(path, json=body, headers=ADMIN)
    return response.status_code, await response.get_json()


async def test_the_documented_maximum_is_stored_and_ledgered(service: RunningService) -> None:
    status, body = await _admin(
        service, "put", ACCOUNT.format("big") + "/balance", {"balance": TOP, "note": "top"}
    )
    assert status == 200, body
    assert body["account"]["balance"] == TOP
    status, body = await _admin(
        service, "post", ACCOUNT.format("wide") + "/adjust", {"delta": 2**31, "note": "32 bits"}
    )
    assert status == 200, body
    assert body["delta"] == 2**31
    assert body["account"]["balance"] >= 2**31
    assert await service.books_balance("user:big") == (TOP, 0, TOP, 0)
    balance, _, ledgered, _ = await service.books_balance("user:wide")
    assert balance == ledgered == body["account"]["balance"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/balance", {"balance": False, "note": "bool"}),
        ("/balance", {"balance": 5.0, "note": "float"}),
        ("/balance", {"balance": TOP + 1, "note": "above the range"}),
        ("/adjust", {"delta": True, "note": "bool"}),
        ("/adjust", {"delta": 1.5, "note": "float"}),
        ("/adjust", {"delta": -(TOP + 1), "note": "below the range"}),
    ],
)
async def test_booleans_floats_and_out_of_range_amounts_are_422(
    service: RunningService, path: str, body: dict[str, Any]
) -> None:
    method = "put" if path == "/balance" else "post"
    status, answer = await _admin(service, method, ACCOUNT.format("strict") + path, body)
    assert status == 422, answer
    assert answer["error_code"] == "SCHEMA_VALIDATION_ERROR"
    assert answer["details"]["errors"][0]["loc"][0] in {"balance", "delta"}
    assert await service.rows("SELECT 1 FROM credit_ledger") == []
