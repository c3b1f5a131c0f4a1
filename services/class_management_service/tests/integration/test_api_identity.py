"""X-User-ID is held to the library's one rule, as in every service."""

import pytest
from quart.typing import TestClientProtocol as Client

from huleedu_service_libs.testing.identity import REFUSED_USER_IDS, assert_identity_refused


@pytest.mark.parametrize("value", REFUSED_USER_IDS.values(), ids=REFUSED_USER_IDS.keys())
async def test_a_malformed_or_blank_user_id_is_refused_as_in_every_service(
    client: Client, value: str
) -> None:
    response = await client.get(
        "/v1/classes", headers={"X-User-ID": value, "X-Correlation-ID": "identity-check"}
    )
    body = await response.get_json()
    assert_identity_refused(response.status_code, body, "X-User-ID", "identity-check")
