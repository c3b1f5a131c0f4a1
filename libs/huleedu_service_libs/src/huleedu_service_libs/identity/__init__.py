"""Who is calling: the gateway's signed id headers and the service keys, read once per request."""

from huleedu_service_libs.identity.caller import Caller, Principal, UnguardedRouteError
from huleedu_service_libs.identity.guards import (
    require_admin_key,
    require_internal_key,
    require_teacher,
)
from huleedu_service_libs.identity.headers import (
    ADMIN_KEY_HEADER,
    ADMIN_USER_HEADER,
    INTERNAL_KEY_HEADER,
    MAX_ID_LENGTH,
    ORG_HEADER,
    USER_HEADER,
)
from huleedu_service_libs.identity.provider import IdentityProvider
from huleedu_service_libs.identity.signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    identity_signature,
    signed_identity_headers,
)

__all__ = [
    "ADMIN_KEY_HEADER",
    "ADMIN_USER_HEADER",
    "INTERNAL_KEY_HEADER",
    "MAX_ID_LENGTH",
    "ORG_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "USER_HEADER",
    "Caller",
    "IdentityProvider",
    "Principal",
    "UnguardedRouteError",
    "identity_signature",
    "require_admin_key",
    "require_internal_key",
    "require_teacher",
    "signed_identity_headers",
]
