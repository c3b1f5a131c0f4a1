"""The gateway's one document: the routed teacher paths of each service, nothing internal."""

from __future__ import annotations

from typing import Any

from services.api_gateway_service.openapi_merge import merge_documents


def document(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.1.0", "paths": paths, "components": {"schemas": schemas}}


def operation(*headers: str) -> dict[str, Any]:
    return {"parameters": [{"in": "header", "name": name} for name in headers]}


def test_only_routed_paths_are_merged_without_the_user_header() -> None:
    merged = merge_documents(
        {
            "class_management_service": document(
                {
                    "/v1/classes/": {"get": operation("X-User-ID", "X-Org-ID")},
                    "/v1/batches/{id}": {"get": operation()},
                    "/internal/v1/classes": {"get": operation()},
                    "/healthz": {"get": operation()},
                },
                {"Class": {"type": "object"}},
            ),
            "entitlements_service": document(
                {
                    "/v1/entitlements/balance": {"get": operation("X-User-ID")},
                    "/admin/v1/entitlements/x": {"post": operation()},
                    "/v1/classes/not-theirs": {"get": operation()},
                },
                {"Balance": {"type": "object"}},
            ),
        }
    )

    assert list(merged["paths"]) == [
        "/v1/batches/{id}",
        "/v1/classes/",
        "/v1/entitlements/balance",
    ]
    assert merged["paths"]["/v1/classes/"]["get"]["parameters"] == [
        {"in": "header", "name": "X-Org-ID"}
    ]
    assert set(merged["components"]["schemas"]) == {"Class", "Balance"}
    assert merged["security"] == [{"bearer": []}]
