"""Requests drawn by hypothesis from an OpenAPI document, and the checks every answer must pass.

Each operation's path and query parameters and JSON body come from its schemas
(schema_strategies.py), mostly valid and sometimes not; multipart and CSV bodies are drawn as
bytes and text. The identity headers are the right ones for the operation's last security
alternative, so the requests reach the handlers and the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx
import jsonschema  # type: ignore[import-untyped]
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.correlation import CORRELATION_HEADER
from tests.api.apps import SCHEME_HEADERS
from tests.api.schema_strategies import from_schema


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    content: bytes | None = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None
    template: str = ""
    path_values: dict[str, str] = field(default_factory=dict)

    def with_ids(self, known: list[str], pick: int) -> Request:
        """The request with its UUID path values replaced by ids the service gave out earlier
        (so GET, PUT and DELETE meet real resources, not only 404s)."""
        if not known or not self.template:
            return self
        values = {
            name: known[(pick + index) % len(known)] if _is_uuid(value) else value
            for index, (name, value) in enumerate(self.path_values.items())
        }
        return replace(self, path=_fill(self.template, values), path_values=values)


# Answers are read in this order: what creates comes first, what deletes last.
_METHOD_ORDER = {"POST": 0, "PUT": 1, "PATCH": 1, "GET": 2, "DELETE": 3}


def examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` draws, the same run to run (derandomized), no shrinking: the caller sends them."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    return sorted(found, key=lambda entry: (_METHOD_ORDER.get(entry[0], 2), entry[1]))


def ids_in(document: Any) -> list[str]:
    """Every UUID under a key ending in `id` in an answer: what later requests may name."""
    found: list[str] = []
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key.endswith("id") and isinstance(item, str) and _is_uuid(item):
                    found.append(item)
                else:
                    pending.append(item)
        elif isinstance(value, list):
            pending.extend(value)
    return found


def request_strategy(
    document: dict[str, Any], method: str, path: str, operation: dict[str, Any]
) -> st.SearchStrategy[Request]:
    """Clean draws (within the schemas) and hostile ones, half and half."""
    return st.one_of(
        _requests(document, method, path, operation, hostile=False),
        _requests(document, method, path, operation, hostile=True),
    )


def _requests(
    document: dict[str, Any], method: str, path: str, operation: dict[str, Any], *, hostile: bool
) -> st.SearchStrategy[Request]:
    components = document["components"]
    path_values: dict[str, st.SearchStrategy[str]] = {}
    query_values: dict[str, st.SearchStrategy[str]] = {}
    required_query: set[str] = set()
    for parameter in operation["parameters"]:
        if "$ref" in parameter:
            continue
        schema = parameter.get("schema", {})
        if parameter["in"] == "path":
            path_values[parameter["name"]] = from_schema(schema, document, hostile=hostile).map(
                _as_text
            )
        elif parameter["in"] == "query":
            query_values[parameter["name"]] = from_schema(schema, document, hostile=hostile).map(
                _as_text
            )
            if parameter.get("required"):
                required_query.add(parameter["name"])
    query = st.fixed_dictionaries(
        {name: s for name, s in query_values.items() if name in required_query},
        optional={name: s for name, s in query_values.items() if name not in required_query},
    )
    return st.builds(
        _request,
        st.just(method),
        st.just(path),
        st.fixed_dictionaries(path_values),
        query,
        st.just(_identity(operation)),
        _body_strategy(operation.get("requestBody"), components, hostile),
    )


def _request(
    method: str,
    path: str,
    path_values: dict[str, str],
    query: dict[str, str],
    headers: dict[str, str],
    body: tuple[str, Any],
) -> Request:
    url = _fill(path, path_values)
    request = Request(method, url, query, dict(headers), template=path, path_values=path_values)
    kind, payload = body
    if kind == "json":
        request.json_body = payload
    elif kind == "csv":
        request.content = payload
        request.headers["Content-Type"] = "text/csv"
    elif kind == "multipart":
        request.files = payload
    return request


def _body_strategy(
    body: dict[str, Any] | None, components: dict[str, Any], hostile: bool
) -> st.SearchStrategy[tuple[str, Any]]:
    if body is None:
        return st.just(("none", None))
    content = body["content"]
    choices: list[st.SearchStrategy[tuple[str, Any]]] = []
    if "application/json" in content:
        schema = content["application/json"]["schema"]
        choices.append(
            st.tuples(
                st.just("json"), from_schema(schema, {"components": components}, hostile=hostile)
            )
        )
    if "text/csv" in content:
        rows = st.lists(st.lists(st.text(max_size=12), min_size=3, max_size=3), max_size=4)
        csv = rows.map(lambda r: "first_name,last_name,email\n" + "\n".join(map(",".join, r)))
        choices.append(st.tuples(st.just("csv"), csv.map(str.encode)))
    if "multipart/form-data" in content:
        properties = content["multipart/form-data"]["schema"]["properties"]
        name = next(iter(properties))
        part = st.tuples(
            st.sampled_from(["essay.txt", "roster.csv", "x.pdf"]), st.binary(max_size=64)
        )
        parts = st.lists(part, min_size=1, max_size=3).map(
            lambda drawn: [
                (name, (fname, data, "application/octet-stream")) for fname, data in drawn
            ]
        )
        choices.append(st.tuples(st.just("multipart"), parts))
    return st.one_of(choices)


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", quote(value, safe="") or "x")
    return template


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _identity(operation: dict[str, Any]) -> dict[str, str]:
    alternatives = operation.get("security") or [{}]
    return dict(SCHEME_HEADERS[scheme] for scheme in alternatives[-1])


def _rooted(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The schema with the document's components beside it, so its $refs resolve."""
    return {**schema, "components": components}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


async def send(client: httpx.AsyncClient, request: Request, correlation: str) -> httpx.Response:
    headers = {**request.headers, CORRELATION_HEADER: correlation}
    return await client.request(
        request.method,
        request.path,
        params=request.query,
        headers=headers,
        json=request.json_body,
        content=request.content,
        files=request.files,
    )


def problems(
    document: dict[str, Any], operation: dict[str, Any], response: httpx.Response, correlation: str
) -> list[str]:
    """What is wrong with the answer: a 5xx, an error that is not an ErrorDetail carrying the
    correlation id, a documented JSON answer that does not match its schema."""
    found: list[str] = []
    status = response.status_code
    if status >= 500:
        found.append(f"{status}: {response.text[:300]}")
    if response.headers.get(CORRELATION_HEADER) != correlation:
        found.append(f"{status} without the correlation header")
    if status >= 400:
        try:
            detail = ErrorDetail.model_validate_json(response.content)
        except ValueError as error:
            return [*found, f"{status} is not an ErrorDetail: {error}"]
        if detail.original_correlation_id != correlation:
            found.append(f"{status} ErrorDetail without the correlation id")
        return found
    schema = _response_schema(document, operation, str(status))
    if schema is None:
        if str(status) not in operation["responses"]:
            found.append(f"{status} is not documented")
        return found
    try:
        jsonschema.validate(response.json(), _rooted(schema, document["components"]))
    except (jsonschema.ValidationError, ValueError) as error:
        found.append(f"{status} does not match its schema: {str(error)[:300]}")
    return found


def _response_schema(
    document: dict[str, Any], operation: dict[str, Any], status: str
) -> dict[str, Any] | None:
    response = operation["responses"].get(status)
    if response is None or "$ref" in response:
        return None
    json_content = response.get("content", {}).get("application/json")
    schema: dict[str, Any] | None = None if json_content is None else json_content.get("schema")
    return schema
