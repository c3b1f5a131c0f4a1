"""Decides whether a new JSON Schema still accepts everything an old one accepted.

Consumers must keep reading events already on a topic, so for a topic at the same version:
no field may be removed, no type changed or narrowed, no optional field made required, no required
field added, no enum value removed and no constraint tightened. Adding optional fields or widening
is fine.
"""

from typing import Any

Schema = dict[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")


def incompatibilities(old: Schema, new: Schema) -> list[str]:
    """Every way in which `new` rejects data that `old` accepted; empty when compatible."""
    return _Comparison(old.get("$defs", {}), new.get("$defs", {})).compare(old, new, "$")


class _Comparison:
    def __init__(self, old_defs: dict[str, Schema], new_defs: dict[str, Schema]) -> None:
        self._old_defs = old_defs
        self._new_defs = new_defs

    def compare(self, old: Schema, new: Schema, path: str) -> list[str]:
        old, new = _resolve(old, self._old_defs), _resolve(new, self._new_defs)
        if _is_union(old) or _is_union(new):
            return self._compare_unions(old, new, path)
        return self._compare_single(old, new, path)

    def _compare_unions(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems: list[str] = []
        for branch in _branches(old):
            problems += self._closest_branch_problems(branch, _branches(new), path)
        return problems

    def _closest_branch_problems(
        self, branch: Schema, candidates: list[Schema], path: str
    ) -> list[str]:
        attempts = [(self.compare(branch, candidate, path), candidate) for candidate in candidates]
        if any(not problems for problems, _ in attempts):
            return []
        kind = _signature(_resolve(branch, self._old_defs))
        for problems, candidate in attempts:
            if _signature(_resolve(candidate, self._new_defs)) == kind:
                return problems
        return [f"{path}: {_describe(branch, self._old_defs)} is no longer accepted"]

    def _compare_single(self, old: Schema, new: Schema, path: str) -> list[str]:
        if not _accepts_type_of(old, new):
            return [f"{path}: type changed from {_signature(old)} to {_signature(new)}"]
        return [
            *_removed_enum_values(old, new, path),
            *_tightened_constraints(old, new, path),
            *self._compare_object(old, new, path),
            *self._compare_items(old, new, path),
        ]

    def _compare_object(self, old: Schema, new: Schema, path: str) -> list[str]:
        old_props: dict[str, Schema] = old.get("properties", {})
        new_props: dict[str, Schema] = new.get("properties", {})
        problems = [f"{path}.{name}: field removed" for name in old_props if name not in new_props]
        for name in old_props.keys() & new_props.keys():
            problems += self.compare(old_props[name], new_props[name], f"{path}.{name}")
        problems += _newly_required(old, new, path)
        return problems + self._compare_values(old, new, path)

    def _compare_values(self, old: Schema, new: Schema, path: str) -> list[str]:
        new_values = new.get("additionalProperties")
        if not isinstance(new_values, dict):
            return []
        old_values = old.get("additionalProperties")
        old_schema: Schema = old_values if isinstance(old_values, dict) else {}
        return self.compare(old_schema, new_values, f"{path}[*]")

    def _compare_items(self, old: Schema, new: Schema, path: str) -> list[str]:
        if "items" not in new:
            return []
        return self.compare(old.get("items", {}), new["items"], f"{path}[]")


def _resolve(schema: Schema, defs: dict[str, Schema]) -> Schema:
    while "$ref" in schema or len(schema.get("allOf", ())) == 1:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema["allOf"][0]
    return schema


def _is_union(schema: Schema) -> bool:
    return "anyOf" in schema or "oneOf" in schema


def _branches(schema: Schema) -> list[Schema]:
    branches: list[Schema] = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return branches


def _signature(schema: Schema) -> str:
    kind = str(schema.get("type", "any"))
    return f"{kind}({schema['format']})" if "format" in schema else kind


def _describe(schema: Schema, defs: dict[str, Schema]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[-1])
    return _signature(_resolve(schema, defs))


def _accepts_type_of(old: Schema, new: Schema) -> bool:
    if "type" not in new:
        return True
    if "type" not in old:
        return False
    widened = old["type"] == "integer" and new["type"] == "number"
    same_type = old["type"] == new["type"] or widened
    return same_type and old.get("format") == new.get("format")


def _enum_values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    values: list[Any] | None = schema.get("enum")
    return values


def _removed_enum_values(old: Schema, new: Schema, path: str) -> list[str]:
    old_values, new_values = _enum_values(old), _enum_values(new)
    if new_values is None:
        return []
    if old_values is None:
        return [f"{path}: restricted to the values {new_values}"]
    return [f"{path}: value {v!r} no longer accepted" for v in old_values if v not in new_values]


def _tightened_constraints(old: Schema, new: Schema, path: str) -> list[str]:
    problems = [
        f"{path}: {key} tightened to {new[key]}"
        for key in _LOWER_BOUNDS
        if key in new and (key not in old or new[key] > old[key])
    ]
    problems += [
        f"{path}: {key} tightened to {new[key]}"
        for key in _UPPER_BOUNDS
        if key in new and (key not in old or new[key] < old[key])
    ]
    if "pattern" in new and new.get("pattern") != old.get("pattern"):
        problems.append(f"{path}: pattern changed to {new['pattern']!r}")
    return problems


def _newly_required(old: Schema, new: Schema, path: str) -> list[str]:
    old_props = old.get("properties", {})
    added = sorted(set(new.get("required", [])) - set(old.get("required", [])))
    return [
        f"{path}.{name}: optional field made required"
        if name in old_props
        else f"{path}.{name}: new required field"
        for name in added
    ]
