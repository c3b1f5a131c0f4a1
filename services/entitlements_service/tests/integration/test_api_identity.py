"""X-User-ID and X-Org-ID are held to the library's one rule, as in every service."""

from __future__ import annotations

import pytest

from huleedu_service_libs.testing.identity import (
    MALFORMED_IDS,
    REFUSED_USER_IDS,
    assert_identity_refused,
)
from services.entitlements_service.tests.support.fixtures import (  # noqa: F401
    INTERNAL,
    RunningService,
    ServiceFactory,
    running_service_fixture,
)

pytestmark = pytest.mark.integration
CHECK = {"X-Correlation-ID": "identity-check"}


@pytest.fixture
async def service(running_service: ServiceFactory) -> RunningService:
    return await running_service()


@pytest.mark.parametrize("value", REFUSED_USER_IDS.values(), ids=REFUSED_USER_IDS.keys())
async def test_a_malformed_or_blank_user_id_is_refused_as_in_every_service(
    service: RunningService, value: str
) -> None:
    response = await service.client.get(
        "/v1/entitlements/balance", headers={**CHECK, "X-User-ID": value}
    )
    body = await response.get_json()
    assert_identity_refused(response.status_code, body, "X-User-ID", "identity-check")


@pytest.mark.parametrize("value", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
async def test_a_malformed_org_id_is_refused(service: RunningService, value: str) -> None:
    headers = {**CHECK, "X-User-ID": "u1", "X-Org-ID": value}
    response = await service.client.get("/v1/entitlements/balance", headers=headers)
    body = await response.get_json()
    assert_identity_refused(response.status_code, body, "X-Org-ID", "identity-check")


async def test_an_internal_call_naming_a_malformed_user_is_refused(
    service: RunningService,
) -> None:
    response = await service.client.post(
        "/internal/v1/entitlements/authorizations/4f1c2b7e-9d0a-4c3b-8e6f-123456789abc/release",
        json={},
        headers={**CHECK, **INTERNAL, "X-User-ID": MALFORMED_IDS["DEL"]},
    )
    body = await response.get_json()
    assert_identity_refused(response.status_code, body, "X-User-ID", "identity-check")
