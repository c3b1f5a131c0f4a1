"""X-User-ID and X-Org-ID are held to the library's one rule, as in every service."""

from __future__ import annotations

import pytest

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.testing.identity import (
    MALFORMED_IDS,
    REFUSED_USER_IDS,
    assert_identity_refused,
)

CHECK = {"X-Correlation-ID": "identity-check"}


@pytest.mark.parametrize("value", REFUSED_USER_IDS.values(), ids=REFUSED_USER_IDS.keys())
async def test_a_malformed_or_blank_user_id_is_refused_as_in_every_service(
    app: HuleEduApp, value: str
) -> None:
    response = await app.test_client().get("/v1/anchors", headers={**CHECK, "X-User-ID": value})
    body = await response.get_json()
    assert_identity_refused(response.status_code, body, "X-User-ID", "identity-check")


@pytest.mark.parametrize("value", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
async def test_a_malformed_org_id_is_refused_on_every_teacher_route(
    app: HuleEduApp, value: str
) -> None:
    headers = {**CHECK, "X-User-ID": "teacher-1", "X-Org-ID": value}
    response = await app.test_client().get("/v1/anchors", headers=headers)
    body = await response.get_json()
    assert_identity_refused(response.status_code, body, "X-Org-ID", "identity-check")
