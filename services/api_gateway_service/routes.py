"""The route table: which service owns each public `/v1/...` prefix. Only these are proxied;
the services' `/internal/...` and `/admin/...` routes have no entry and are never reachable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# (path prefix, owning service); the longest matching prefix wins.
ROUTE_TABLE: tuple[tuple[str, str], ...] = (
    ("/v1/entitlements", "entitlements_service"),
    ("/v1/files", "file_service"),
    ("/v1/classes", "class_management_service"),
    ("/v1/batches", "class_management_service"),
    ("/v1/assessments", "cj_assessment_service"),
    ("/v1/anchors", "cj_assessment_service"),
)


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str
    service: str
    base_url: str


class Routes:
    def __init__(self, service_urls: Mapping[str, str]) -> None:
        ordered = sorted(ROUTE_TABLE, key=lambda entry: len(entry[0]), reverse=True)
        self._routes = [
            Route(prefix, service, service_urls[service].rstrip("/")) for prefix, service in ordered
        ]

    def match(self, path: str) -> Route | None:
        for route in self._routes:
            if path == route.prefix or path.startswith(route.prefix + "/"):
                return route
        return None

    def services(self) -> dict[str, str]:
        return {route.service: route.base_url for route in self._routes}
