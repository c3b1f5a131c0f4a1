"""Hypothesis strategies from the JSON Schemas in an OpenAPI document (the subset pydantic and
quart-schema write: objects, arrays, strings with lengths, patterns and formats, bounded
numbers, enums, const, anyOf/oneOf/allOf, $ref into the components).

Written here because hypothesis-jsonschema 0.23 does not run on the hypothesis this project
uses. A hostile draw mixes in control characters, huge integers and any JSON at all; a clean
draw keeps to what the schema allows, so it reaches the use cases and the database.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

_FORMATS: dict[str, st.SearchStrategy[Any]] = {
    "uuid": st.uuids().map(str),
    "date-time": st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
        lambda moment: moment.isoformat()
    ),
    "date": st.dates().map(str),
    "email": st.emails(),
}
# Drawn beside the schema's own values (one time in four): what a hostile caller sends first.
HOSTILE_TEXT = st.sampled_from(["nul\x00here", "del\x7f", "\x1b[31m", "x" * 5000, "ä\u202e€", ""])
HOSTILE_INTEGERS = st.sampled_from([0, -1, 2**31, -(2**31) - 1, 2**63, 10**30])
_HOSTILE = "x-hostile-draw"  # carried in the root beside the components
_PRINTABLE = st.characters(exclude_categories=("Cc", "Cs"))
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def from_schema(schema: dict[str, Any], root: dict[str, Any], *, hostile: bool) -> Any:
    """Values of `schema`; with `hostile`, hostile strings and integers one time in four and,
    one time in eight, any JSON at all; without, only values the schema allows."""
    valid = _strategy(schema, {**root, _HOSTILE: hostile}, depth=0)
    return _mostly(valid, _ANY_JSON, 7) if hostile else valid


def _strategy(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    examples = schema.get("examples")
    if isinstance(examples, list) and examples and not root[_HOSTILE]:
        # What the document offers as an example is what a caller tries first.
        generated = _strategy({k: v for k, v in schema.items() if k != "examples"}, root, depth)
        return st.one_of(st.sampled_from(examples), generated)
    if "$ref" in schema:
        return _strategy(_resolve(schema["$ref"], root), root, depth + 1)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([_strategy(option, root, depth + 1) for option in schema[key]])
    if "allOf" in schema:
        return _strategy(schema["allOf"][0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_strategy({**schema, "type": one}, root, depth) for one in kind])
    if depth > 6:
        return st.none()
    maker = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    return _ANY_JSON if maker is None else maker(schema, root, depth)


def _mostly(usual: Any, rare: Any, weight: int = 3, root: dict[str, Any] | None = None) -> Any:
    """`usual` `weight` times as often as `rare` (one_of picks its branches evenly); only
    `usual` when the draw is not hostile."""
    if root is not None and not root[_HOSTILE]:
        return usual
    return st.one_of(*[usual] * weight, rare)


def _resolve(reference: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    resolved: dict[str, Any] = node
    return resolved


def _string(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    if schema.get("format") in _FORMATS:
        return _mostly(_FORMATS[schema["format"]], HOSTILE_TEXT, root=root)
    if "pattern" in schema:
        return _mostly(st.from_regex(schema["pattern"], fullmatch=True), HOSTILE_TEXT, root=root)
    low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
    clean = st.text(_PRINTABLE, min_size=low, max_size=min(high, low + 40))
    return _mostly(clean, HOSTILE_TEXT, root=root)


def _integer(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40) - 1) + 1)
    high = schema.get("maximum", schema.get("exclusiveMaximum", 2**40 + 1) - 1)
    return _mostly(st.integers(low, high), HOSTILE_INTEGERS, root=root)


def _number(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    low, high = schema.get("minimum"), schema.get("maximum")
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _array(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    items = _strategy(schema.get("items", {}), root, depth + 1)
    low = schema.get("minItems", 0)
    return st.lists(items, min_size=low, max_size=min(schema.get("maxItems", 4), low + 4))


def _object(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    values = {name: _strategy(sub, root, depth + 1) for name, sub in properties.items()}
    return st.fixed_dictionaries(
        {name: s for name, s in values.items() if name in required},
        optional={name: s for name, s in values.items() if name not in required},
    )


_BY_TYPE = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": lambda schema, root, depth: st.booleans(),
    "null": lambda schema, root, depth: st.none(),
    "array": _array,
    "object": _object,
}
