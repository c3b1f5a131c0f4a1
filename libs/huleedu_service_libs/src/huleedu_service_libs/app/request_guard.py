"""The request guard: what no route should ever see, refused before any handler runs.

Every header (but the identity headers: `huleedu_service_libs.identity` refuses theirs with a
401), the path, every query key and value, every JSON string and key, every form field
and every text body is checked for control characters (PostgreSQL text cannot hold NUL; the
others have no business in an id, a name or a note). JSON bodies are parsed once, by a parser
that refuses lone surrogates, NaN and numbers it cannot hold, within a size and a nesting
limit; a route that declares a request model gets it validated strictly (`true` is not an
integer, nor is `1.0`). Each refusal is an ErrorDetail naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, NoReturn

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json
from quart import current_app, request
from quart_schema import DataSource, RequestSchemaValidationError
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import raise_validation_error
from huleedu_service_libs.identity import (
    ADMIN_KEY_HEADER,
    ADMIN_USER_HEADER,
    INTERNAL_KEY_HEADER,
    ORG_HEADER,
    USER_HEADER,
)

# C0 and C1 controls, DEL and lone surrogates; a text body or JSON string may hold tab and
# newlines, a header, path or query value only a tab (legal in header whitespace) or nothing.
_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_IN_HEADER = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
_IN_VALUE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_MIMETYPES = ("text/",)
_FORM_MIMETYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
REQUEST_LIMITS_EXTENSION = "huleedu_request_limits"
# Identity has one rule for these (a 401 naming the header, huleedu_service_libs.identity).
_IDENTITY_HEADERS = frozenset(
    name.lower()
    for name in (USER_HEADER, ORG_HEADER, ADMIN_USER_HEADER, INTERNAL_KEY_HEADER, ADMIN_KEY_HEADER)
)


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """`max_json_bytes`: a JSON body's size (the app's MAX_CONTENT_LENGTH bounds every body);
    `max_json_depth`: how deeply arrays and objects may nest."""

    max_json_bytes: int = 1_048_576
    max_json_depth: int = 32


def setup_request_guard(app: Any, limits: RequestLimits) -> None:
    """Second in line, right after the correlation middleware (so refusals carry the caller's
    id), and before the blueprints' identity guards and every route."""
    app.extensions[REQUEST_LIMITS_EXTENSION] = limits
    app.before_request_funcs.setdefault(None, []).insert(1, guard_request)


def control_character_at(text: str, *, multiline: bool = True) -> int | None:
    """The index of the first forbidden character in `text`, or None. `multiline` allows tab,
    newline and carriage return (text); without it only a tab is allowed (a header value)."""
    match = (_IN_TEXT if multiline else _IN_HEADER).search(text)
    return None if match is None else match.start()


def refuse_control_characters(text: str, field: str) -> None:
    """A 400 naming `field` when `text` holds a control character; for text a service decodes
    itself (a CSV file, an uploaded document's text)."""
    position = control_character_at(text)
    if position is not None:
        _refuse_character(field, text, position)


async def guard_request() -> None:
    limits: RequestLimits = current_app.extensions[REQUEST_LIMITS_EXTENSION]
    _check_headers(request.headers.items())
    _check_path()
    for key, value in request.args.items(multi=True):
        _check_value(f"query {key!r}", key)
        _check_value(f"query {key!r}", value)
    mimetype = request.mimetype
    if request.is_json:
        await _check_json_body(limits)
    elif mimetype.startswith(_TEXT_MIMETYPES):
        await _check_text_body()
    elif mimetype in _FORM_MIMETYPES:
        await _check_form()


def parse_json(data: bytes, max_depth: int) -> Any:
    """The parsed body; a 400 for malformed JSON (lone surrogates and NaN included), for nesting
    deeper than `max_depth` and for a control character in any string or key."""
    try:
        parsed = from_json(data, allow_inf_nan=False)
    except ValueError as error:
        if "recursion limit" in str(error):
            _refuse_depth("body", max_depth)
        _refuse("The body is not valid JSON: " + str(error), "body")
    _walk(parsed, max_depth)
    return parsed


def _check_headers(headers: Iterable[tuple[str, str]]) -> None:
    for name, value in headers:
        if name.lower() in _IDENTITY_HEADERS:
            continue
        position = control_character_at(value, multiline=False)
        if position is not None:
            _refuse_character(f"header {name}", value, position)


def _check_path() -> None:
    # The server decodes %2F before routing, so a value holding a slash would be routed as two
    # segments (to another route, or a list instead of an item): no resource of ours is named
    # with a slash, so such a path names none (404).
    raw_path = request.scope.get("raw_path") or b""
    if b"%2f" in raw_path.partition(b"?")[0].lower():
        raise NotFound("No resource is named with an encoded slash (%2F)")
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            _check_value(f"path parameter {name!r}", value)
    _check_value("path", request.path)


def _check_value(field: str, value: str) -> None:
    match = _IN_VALUE.search(value)
    if match is not None:
        _refuse_character(field, value, match.start())


async def _check_json_body(limits: RequestLimits) -> None:
    declared = request.content_length
    if declared is not None and declared > limits.max_json_bytes:
        _too_large(limits.max_json_bytes)
    data = await _body()
    if len(data) > limits.max_json_bytes:
        _too_large(limits.max_json_bytes)
    if not data:
        return  # the route decides whether an empty body is allowed
    parsed = parse_json(data, limits.max_json_depth)
    remember = getattr(request, "remember_json", None)
    if remember is not None:
        remember(parsed)
    model = _declared_json_model()
    if model is not None:
        try:
            _adapter(model).validate_json(data, strict=True)
        except ValidationError as error:
            raise RequestSchemaValidationError(error) from None


async def _check_text_body() -> None:
    data = await _body()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # not text after all: the route decides what it accepts
    refuse_control_characters(text, "body")


async def _check_form() -> None:
    form = await request.form
    for key, value in form.items(multi=True):
        _check_value(f"form field {key!r}", key)
        refuse_control_characters(value, f"form field {key!r}")
    files = await request.files
    for key, upload in files.items(multi=True):
        _check_value(f"form field {key!r}", key)
        _check_value(f"form field {key!r} filename", upload.filename or "")


async def _body() -> bytes:
    data = await request.get_data(cache=True, as_text=False)
    return data if isinstance(data, bytes) else data.encode()


def _declared_json_model() -> Any:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    declared = getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None)
    if declared is None or declared[1] != DataSource.JSON:
        return None
    return declared[0]


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _walk(document: Any, max_depth: int) -> None:
    # Iterative: the parser already bounds the depth at 200, a recursion would cost as much.
    pending: list[tuple[Any, str, int]] = [(document, "body", 0)]
    while pending:
        value, where, depth = pending.pop()
        if isinstance(value, str):
            refuse_control_characters(value, where)
        elif isinstance(value, dict | list):
            if depth >= max_depth:
                _refuse_depth(where, max_depth)
            pending.extend(_children(value, where, depth + 1))


def _children(value: dict[str, Any] | list[Any], where: str, depth: int) -> Iterator[Any]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield item, f"{where}[{index}]", depth
        return
    for key, item in value.items():
        refuse_control_characters(key, f"{where} key {key!r}")
        yield item, f"{where}.{key}", depth


def _too_large(limit: int) -> NoReturn:
    raise RequestEntityTooLarge(f"A JSON body may be at most {limit} bytes")


def _refuse_depth(field: str, max_depth: int) -> NoReturn:
    _refuse(f"{field}: JSON nests more than {max_depth} levels deep", field, max_depth=max_depth)


def _refuse_character(field: str, value: str, position: int) -> NoReturn:
    character = f"U+{ord(value[position]):04X}"
    message = f"{field} contains a control character ({character}) at position {position}"
    _refuse(message, field, character=character, position=position)


def _refuse(message: str, field: str, **details: Any) -> NoReturn:
    correlation = request_correlation()
    raise_validation_error(
        current_app.name,
        request.endpoint or "request_guard",
        message,
        correlation.uuid,
        correlation.original,
        field=field,
        **details,
    )
