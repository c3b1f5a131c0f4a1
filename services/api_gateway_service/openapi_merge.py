"""One OpenAPI document of the teacher routes: each service's own document, fetched and cut down
to the paths the gateway routes to it, merged, with the bearer token as the security scheme."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import structlog

from services.api_gateway_service.routes import ROUTE_TABLE, Routes

logger = structlog.get_logger(__name__)
CACHE_SECONDS = 60.0


def merge_documents(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`documents`: service name -> its OpenAPI document; only routed paths are kept."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service, document in sorted(documents.items()):
        prefixes = [prefix for prefix, owner in ROUTE_TABLE if owner == service]
        for path, operations in document.get("paths", {}).items():
            if any(path == p or path.startswith(p + "/") for p in prefixes):
                paths[path] = {
                    method: _through_gateway(operation) for method, operation in operations.items()
                }
        schemas.update(document.get("components", {}).get("schemas", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "HuleEdu API (through the gateway)", "version": "1.0.0"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearer": []}],
    }


def _through_gateway(operation: Any) -> Any:
    # The gateway sets X-User-ID from the token; X-Org-ID stays (the org the caller asks for).
    if not isinstance(operation, dict):
        return operation
    parameters = [
        parameter
        for parameter in operation.get("parameters", [])
        if not (
            isinstance(parameter, dict)
            and parameter.get("in") == "header"
            and str(parameter.get("name", "")).lower() == "x-user-id"
        )
    ]
    return {**operation, "parameters": parameters} if "parameters" in operation else operation


class MergedOpenAPI:
    def __init__(self, routes: Routes, client: httpx.AsyncClient) -> None:
        self._services = routes.services()
        self._client = client
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0

    async def document(self) -> dict[str, Any]:
        if self._document is None or time.monotonic() - self._fetched_at > CACHE_SECONDS:
            self._document = merge_documents(await self._fetch_all())
            self._fetched_at = time.monotonic()
        return self._document

    async def _fetch_all(self) -> dict[str, dict[str, Any]]:
        names = list(self._services)
        found = await asyncio.gather(*(self._fetch(self._services[name]) for name in names))
        return {name: doc for name, doc in zip(names, found, strict=True) if doc is not None}

    async def _fetch(self, base_url: str) -> dict[str, Any] | None:
        try:
            response = await self._client.get(f"{base_url}/openapi.json", timeout=5.0)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("openapi document not fetched", url=base_url, error=str(error))
            return None
