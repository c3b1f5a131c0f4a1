"""The OpenAPI document of a service app, complete: what quart-schema derives from the routes'
models, plus what every route of the skeleton shares.

- security schemes for the gateway's id headers and the service keys, and on each operation the
  ones its blueprint's identity guard requires (`require_teacher`, `require_internal_key`,
  `require_admin_key`), so "Try it out" sends them;
- the optional `X-Correlation-ID` request header, echoed as a header of every response;
- the ErrorDetail schema for every error response: 400 (the request guard), 401 behind a guard,
  404 where the path names a resource, 413/415/422 where a body is read, 500, 503, and `default`
  for the rest (a use case's 402, 409 or 429);
- bodies and answers a route declares with `request_body` / `no_content` (multipart uploads,
  CSV imports, 204s), which quart-schema cannot derive.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from quart_schema import OpenAPIProvider
from quart_schema.validation import (
    QUART_SCHEMA_QUERYSTRING_ATTRIBUTE,
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
)
from werkzeug.routing import Rule

from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.correlation import CORRELATION_HEADER
from huleedu_service_libs.identity import (
    ADMIN_KEY_HEADER,
    ADMIN_USER_HEADER,
    INTERNAL_KEY_HEADER,
    ORG_HEADER,
    USER_HEADER,
    require_admin_key,
    require_internal_key,
    require_teacher,
)

F = TypeVar("F", bound=Callable[..., Any])
_BODY_ATTRIBUTE = "_huleedu_openapi_request_body"
_RESPONSES_ATTRIBUTE = "_huleedu_openapi_responses"
_SCHEMA_REF = "#/components/schemas/{model}"
ERROR_SCHEMA = "ErrorDetail"

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "UserId": {
        "type": "apiKey",
        "in": "header",
        "name": USER_HEADER,
        "description": "The teacher (or user an internal call acts for), set by the gateway.",
    },
    "OrgId": {
        "type": "apiKey",
        "in": "header",
        "name": ORG_HEADER,
        "description": "The teacher's organisation, set by the gateway.",
    },
    "InternalKey": {
        "type": "apiKey",
        "in": "header",
        "name": INTERNAL_KEY_HEADER,
        "description": "The key other services present.",
    },
    "AdminKey": {"type": "apiKey", "in": "header", "name": ADMIN_KEY_HEADER},
    "AdminUser": {
        "type": "apiKey",
        "in": "header",
        "name": ADMIN_USER_HEADER,
        "description": "Who the admin is, for the audit log.",
    },
}
_SECURITY_OF_GUARD: dict[Callable[..., Any], list[dict[str, list[str]]]] = {
    require_teacher: [{"UserId": []}, {"UserId": [], "OrgId": []}],
    require_internal_key: [{"InternalKey": []}, {"InternalKey": [], "UserId": []}],
    require_admin_key: [{"AdminKey": []}, {"AdminKey": [], "AdminUser": []}],
}
_ERROR_DESCRIPTIONS = {
    "400": "Malformed request: bad JSON, a control character, nesting too deep (ErrorDetail "
    "`details.field` names where)",
    "401": "Missing or wrong identity header or key",
    "404": "No such resource (or not yours)",
    "413": "Body too large",
    "415": "Wrong Content-Type",
    "422": "The body or query does not match the schema (`details.errors`)",
    "500": "Internal error (the log has the cause)",
    "503": "A dependency is unavailable; retry",
    "default": "Any other refusal, as an ErrorDetail",
}
_CORRELATION_PARAMETER = {
    "name": CORRELATION_HEADER,
    "in": "header",
    "required": False,
    "description": "Your id for this request (visible ASCII, at most 128 characters); echoed "
    "in the response, generated when absent.",
    "schema": {"type": "string", "maxLength": 128},
}
_CORRELATION_RESPONSE_HEADER = {
    "description": "The request's correlation id (yours, or a generated UUID)",
    "schema": {"type": "string"},
}


def request_body(
    content: dict[str, Any], description: str, *, required: bool = True
) -> Callable[[F], F]:
    """Documents a body the route reads itself: `content` is the OpenAPI media-type map, e.g.
    `{"multipart/form-data": {"schema": {...}}}`."""
    body = {"description": description, "required": required, "content": content}

    def decorate(view: F) -> F:
        setattr(view, _BODY_ATTRIBUTE, body)
        return view

    return decorate


def documented_response(
    status: int, description: str, content: dict[str, Any] | None = None
) -> Callable[[F], F]:
    """Documents an answer the route builds itself (no response model)."""
    response: dict[str, Any] = {"description": description}
    if content is not None:
        response["content"] = content

    def decorate(view: F) -> F:
        responses = {**getattr(view, _RESPONSES_ATTRIBUTE, {}), str(status): response}
        setattr(view, _RESPONSES_ATTRIBUTE, responses)
        return view

    return decorate


def no_content(view: F) -> F:
    """A 204 with no body."""
    decorated: F = documented_response(204, "Done; no body")(view)
    return decorated


def multipart_files(field: str, description: str, *, multiple: bool) -> dict[str, Any]:
    """The media-type map of a multipart form carrying files in `field`."""
    binary = {"type": "string", "format": "binary"}
    schema = {"type": "array", "items": binary, "minItems": 1} if multiple else binary
    return {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {field: {**schema, "description": description}},
                "required": [field],
            }
        }
    }


class ServiceOpenAPIProvider(OpenAPIProvider):
    def schema(self) -> dict[str, Any]:
        document = super().schema()
        components = document["components"]
        error_schema = ErrorDetail.model_json_schema(ref_template=_SCHEMA_REF)
        components["schemas"].update(error_schema.pop("$defs", {}))
        components["schemas"][ERROR_SCHEMA] = error_schema
        components["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
        components["parameters"] = {"CorrelationId": _CORRELATION_PARAMETER}
        components["headers"] = {CORRELATION_HEADER: _CORRELATION_RESPONSE_HEADER}
        components["responses"] = {
            _error_name(status): _error_response(description)
            for status, description in _ERROR_DESCRIPTIONS.items()
        }
        return document

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        paths, components = super().build_paths(rule)
        view = self._app.view_functions[rule.endpoint]
        for operations in paths.values():
            for method, operation in list(operations.items()):
                operations[method] = self._complete(copy.deepcopy(operation), rule, view)
        return paths, components

    def _complete(self, operation: dict[str, Any], rule: Rule, view: Any) -> dict[str, Any]:
        operation["parameters"].append({"$ref": "#/components/parameters/CorrelationId"})
        if (body := getattr(view, _BODY_ATTRIBUTE, None)) is not None:
            operation["requestBody"] = body
        # quart-schema keys statuses by int; "default" needs str keys (the JSON is key-sorted).
        responses = {str(status): value for status, value in operation["responses"].items()}
        operation["responses"] = responses
        responses.update(getattr(view, _RESPONSES_ATTRIBUTE, {}))
        for response in responses.values():
            response.setdefault("headers", {})[CORRELATION_HEADER] = {
                "$ref": f"#/components/headers/{CORRELATION_HEADER}"
            }
        security = self._security(rule)
        if security:
            operation["security"] = security
        for status in self._error_statuses(rule, view, operation, guarded=bool(security)):
            responses.setdefault(status, {"$ref": f"#/components/responses/{_error_name(status)}"})
        return operation

    def _security(self, rule: Rule) -> list[dict[str, list[str]]]:
        blueprint = rule.endpoint.rpartition(".")[0]
        guards = self._app.before_request_funcs.get(blueprint, []) if blueprint else []
        return [scheme for guard in guards for scheme in _SECURITY_OF_GUARD.get(guard, [])]

    @staticmethod
    def _error_statuses(
        rule: Rule, view: Any, operation: dict[str, Any], *, guarded: bool
    ) -> list[str]:
        statuses = ["400"]
        if guarded:
            statuses.append("401")
        if rule.arguments:
            statuses.append("404")
        if "requestBody" in operation:
            statuses += ["413", "415"]
        if hasattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE) or hasattr(
            view, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE
        ):
            statuses.append("422")
        return [*statuses, "500", "503", "default"]


def _error_name(status: str) -> str:
    return "Error" if status == "default" else f"Error{status}"


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {CORRELATION_HEADER: {"$ref": f"#/components/headers/{CORRELATION_HEADER}"}},
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
        },
    }
