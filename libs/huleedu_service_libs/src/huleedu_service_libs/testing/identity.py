"""Header values the identity rule refuses, and the refusal every service answers with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from huleedu_service_libs.correlation import CorrelationContext

# Refused wherever the header appears, required or not.
MALFORMED_IDS: dict[str, str] = {
    "tab": "teacher\t1",
    "DEL": "teacher\x7f1",
    "NUL": "teacher\x001",
    "escape": "teacher\x1b1",
    "C1 control": "teacher\x851",  # NEL; HTTP headers arrive decoded as Latin-1
    "256 characters": "u" * 256,
}
# No id at all: refused where one is required.
BLANK_IDS: dict[str, str] = {"empty": "", "spaces": "   ", "whitespace": " \t "}
REFUSED_USER_IDS: dict[str, str] = MALFORMED_IDS | BLANK_IDS


def assert_identity_refused(
    status: int, body: Mapping[str, Any], header: str, original_correlation_id: str
) -> None:
    """A 401 ErrorDetail naming the header, with the correlation ids of the request."""
    assert status == 401, body
    assert body["error_code"] == "AUTHENTICATION_ERROR", body
    assert header in body["message"], body
    assert body["details"] == {"header": header}, body
    assert body["original_correlation_id"] == original_correlation_id, body
    expected = CorrelationContext.from_header(original_correlation_id)
    assert body["correlation_id"] == str(expected.uuid), body
