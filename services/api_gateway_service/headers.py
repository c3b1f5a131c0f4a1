"""Which client headers reach a service, and which service headers reach the client."""

from __future__ import annotations

from collections.abc import Iterable

from huleedu_service_libs.identity import (
    ADMIN_KEY_HEADER,
    ADMIN_USER_HEADER,
    INTERNAL_KEY_HEADER,
    ORG_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    USER_HEADER,
)

CORRELATION_HEADER = "x-correlation-id"
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set by the gateway from the token (or never sent on): whatever the client sent is dropped.
_STRIPPED_FROM_CLIENT = (
    _HOP_BY_HOP
    | {
        name.lower()
        for name in (
            USER_HEADER,
            ORG_HEADER,
            ADMIN_USER_HEADER,
            INTERNAL_KEY_HEADER,
            ADMIN_KEY_HEADER,
            SIGNATURE_HEADER,
            TIMESTAMP_HEADER,
        )
    }
    # Expect: the gateway's own server answers 100-continue to the client; the service gets the
    # body without being asked.
    | {"host", "authorization", "cookie", "expect", CORRELATION_HEADER, "x-forwarded-for"}
)
_STRIPPED_FROM_SERVICE = frozenset(
    name.encode() for name in (*_HOP_BY_HOP, "server", "date", CORRELATION_HEADER)
)


def upstream_headers(
    raw: Iterable[tuple[bytes, bytes]], identity: dict[str, str], correlation: str, client: str
) -> list[tuple[str, str]]:
    kept = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in raw
        if name.decode("latin-1").lower() not in _STRIPPED_FROM_CLIENT
    ]
    return [
        *kept,
        *identity.items(),
        ("X-Correlation-ID", correlation),
        ("X-Forwarded-For", client),
    ]


def downstream_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`raw`: the service's headers, names lower-cased; the correlation header is the gateway's."""
    return [(name, value) for name, value in raw if name not in _STRIPPED_FROM_SERVICE]


def header(raw: Iterable[tuple[bytes, bytes]], name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in raw:
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None
