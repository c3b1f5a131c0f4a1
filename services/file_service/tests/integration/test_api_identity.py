"""X-User-ID is held to the library's one rule, as in every service."""

from __future__ import annotations

import httpx
import pytest

from huleedu_service_libs.testing.identity import REFUSED_USER_IDS, assert_identity_refused


@pytest.mark.parametrize("value", REFUSED_USER_IDS.values(), ids=REFUSED_USER_IDS.keys())
async def test_a_malformed_or_blank_user_id_is_refused_as_in_every_service(
    client: httpx.AsyncClient, value: str
) -> None:
    headers = {b"X-User-ID": value.encode("latin-1"), b"X-Correlation-ID": b"identity-check"}
    response = await client.get("/v1/files/batch", headers=headers)
    assert_identity_refused(response.status_code, response.json(), "X-User-ID", "identity-check")
