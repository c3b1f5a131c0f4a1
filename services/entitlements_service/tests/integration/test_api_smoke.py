import pytest

from services.entitlements_service.tests.support.fixtures import (  # noqa: F401
    INTERNAL,
    ServiceFactory,
    running_service_fixture,
)

pytestmark = pytest.mark.integration


async def test_consume_over_http(running_service: ServiceFactory) -> None:
    service = await running_service()
    await service.grant("user:u1", 10)
    response = await service.client.post(
        "/internal/v1/entitlements/consume-credits",
        json={"user_id": "u1", "metric": "cj_comparison", "quantity": 3, "idempotency_key": "k1"},
        headers=INTERNAL,
    )
    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["balance_after"] == 57
