"""CORS for a browser client: only the configured origins get the allow headers."""

from __future__ import annotations

from dataclasses import dataclass

_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"
_DEFAULT_REQUEST_HEADERS = "Authorization, Content-Type, X-Org-ID, X-Correlation-ID"
_EXPOSED = b"X-Correlation-ID, Retry-After"


@dataclass(frozen=True)
class Cors:
    origins: frozenset[str]
    max_age_seconds: int = 600

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.origins

    def response_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        if origin is None or not self.allows(origin):
            return []
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-expose-headers", _EXPOSED),
            (b"vary", b"Origin"),
        ]

    def preflight_headers(
        self, origin: str, requested_headers: str | None
    ) -> list[tuple[bytes, bytes]]:
        if not self.allows(origin):
            return [(b"vary", b"Origin")]
        allowed = requested_headers or _DEFAULT_REQUEST_HEADERS
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", _METHODS),
            (b"access-control-allow-headers", allowed.encode("latin-1")),
            (b"access-control-max-age", str(self.max_age_seconds).encode()),
            (b"vary", b"Origin"),
        ]
