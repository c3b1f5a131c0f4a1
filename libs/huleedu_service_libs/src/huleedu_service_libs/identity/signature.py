"""The gateway's signature over the identity it forwards: HMAC-SHA256 of the user, the org, the
method, the path and a timestamp, under a secret the gateway and the services share."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Gateway-Signature"
TIMESTAMP_HEADER = "X-Gateway-Timestamp"
# Long enough for the gateway's clock to differ from the service's by a little, short enough
# that a captured request cannot be replayed later.
DEFAULT_MAX_AGE_SECONDS = 30
_VERSION = "v1"


def identity_signature(
    secret: str, *, user_id: str | None, org_id: str | None, method: str, path: str, timestamp: int
) -> str:
    """The hex HMAC; ids are printable (the identity rule), so a newline cannot be forged in."""
    message = "\n".join(
        (_VERSION, method.upper(), path, user_id or "", org_id or "", str(timestamp))
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_identity_headers(
    secret: str,
    *,
    user_id: str,
    org_id: str | None,
    method: str,
    path: str,
    now: float | None = None,
) -> dict[str, str]:
    """The headers a gateway sets on a forwarded request: the ids, the timestamp, the signature."""
    timestamp = int(time.time() if now is None else now)
    headers = {
        "X-User-ID": user_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: identity_signature(
            secret, user_id=user_id, org_id=org_id, method=method, path=path, timestamp=timestamp
        ),
    }
    if org_id is not None:
        headers["X-Org-ID"] = org_id
    return headers


def signature_problem(
    secret: str,
    *,
    user_id: str | None,
    org_id: str | None,
    method: str,
    path: str,
    timestamp: str | None,
    signature: str | None,
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
    now: float | None = None,
) -> str | None:
    """Why the signature does not vouch for this request, or None when it does."""
    if not signature or not timestamp:
        return f"{SIGNATURE_HEADER} (the gateway's signature) is missing"
    try:
        stamped = int(timestamp)
    except ValueError:
        return f"{SIGNATURE_HEADER}: its {TIMESTAMP_HEADER} is not an integer"
    current = time.time() if now is None else now
    if abs(current - stamped) > max_age_seconds:
        return f"{SIGNATURE_HEADER} has expired (signed more than {max_age_seconds:g} s away)"
    expected = identity_signature(
        secret, user_id=user_id, org_id=org_id, method=method, path=path, timestamp=stamped
    )
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return f"{SIGNATURE_HEADER} does not match the request"
    return None
