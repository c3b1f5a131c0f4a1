"""`libs/common_core/docs/error-patterns.md` cannot drift from the code: every name it sets in
backticks resolves (a path exists and defines what `path::Name` says; a dotted name imports; a bare
name is an attribute of a module or class the document names, or a string the code holds, such as
a header or a log event), and every "`CODE` status" it states is the status table's."""

from __future__ import annotations

import ast
import importlib
import re
from functools import cache
from types import ModuleType
from typing import Any

from common_core.error_enums import ERROR_CODE_ENUMS, http_status_for, parse_error_code
from scripts.platform_services import REPO_ROOT

DOC = REPO_ROOT / "libs" / "common_core" / "docs" / "error-patterns.md"
SPAN = re.compile(r"`([^`\n]+)`")
PATH = re.compile(r"^(?:libs|services|tests|scripts|benchmarks|docs)/[\w./-]*(?:::\w+)?$")
NAME = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
TEXT = re.compile(r"^[\w][\w -]*$")
TOP_PACKAGES = ("common_core", "huleedu_service_libs", "services")
# Spans that are patterns, not names.
NOT_NAMES = {"<topic>.DLQ"}
STATUS_CLAIM = re.compile(r"`([A-Z][A-Z_]+)` (\d{3})\b")
_MISSING = object()


def spans(text: str) -> list[str]:
    return SPAN.findall(text)


@cache
def code_strings() -> frozenset[str]:
    """Every string constant and keyword argument name (a detail key such as `resource=`) in the
    libraries' and services' production code."""
    roots = [*(REPO_ROOT / "libs").glob("*/src"), REPO_ROOT / "services"]
    found: set[str] = set()
    for root in roots:
        for path in root.rglob("*.py"):
            if {"tests", ".venv", "__pycache__"} & set(path.parts):
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.add(node.value)
                elif isinstance(node, ast.keyword) and node.arg:
                    found.add(node.arg)
    return frozenset(found)


def path_problem(span: str) -> str | None:
    path_text, _, name = span.partition("::")
    path = REPO_ROOT / path_text
    if not path.exists():
        return f"{span}: no such path"
    pattern = rf"^\s*(?:async\s+def|def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*[:=]"
    if name and not re.search(pattern, path.read_text(), re.MULTILINE):
        return f"{span}: {path_text} defines no {name}"
    return None


def member(owner: Any, name: str) -> Any:
    """`owner.name`, or the field or annotation of that name a class declares without a value."""
    value = getattr(owner, name, _MISSING)
    if value is not _MISSING or not isinstance(owner, type):
        return value
    fields: dict[str, Any] = getattr(owner, "model_fields", {})
    if name in fields:
        return fields[name]
    declared = any(name in vars(base).get("__annotations__", {}) for base in owner.__mro__)
    return name if declared else _MISSING


def import_dotted(dotted: str) -> tuple[ModuleType, list[str]] | None:
    """The longest importable module prefix of `dotted` and the attribute names after it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            return importlib.import_module(".".join(parts[:cut])), parts[cut:]
        except ImportError:
            continue
    return None


class Resolver:
    """Resolves the document's names against what the document itself names: its modules (and
    the modules of the Python files it cites) and the classes found in them."""

    def __init__(self, all_spans: list[str]) -> None:
        self.modules: list[ModuleType] = []
        self.classes: list[type] = []
        for span in all_spans:
            self._collect(span)

    def _collect(self, span: str) -> None:
        if PATH.match(span) and span.partition("::")[0].endswith(".py"):
            module_path = span.partition("::")[0].removesuffix(".py").replace("/", ".")
            if module_path.startswith("services."):
                self.modules.append(importlib.import_module(module_path))
        elif NAME.match(span) and span.startswith(TOP_PACKAGES):
            imported = import_dotted(span)
            if imported is not None:
                self.modules.append(imported[0])

    def resolve(self, name: str) -> Any:
        first, *rest = name.split(".")
        if first in TOP_PACKAGES:
            imported = import_dotted(name)
            if imported is None:
                return _MISSING
            value: Any = imported[0]
            rest = imported[1]
        else:
            value = self._bare(first)
        for part in rest:
            if value is _MISSING:
                break
            value = member(value, part)
        if isinstance(value, type) and value not in self.classes:
            self.classes.append(value)
        return value

    def _bare(self, name: str) -> Any:
        for owner in [*self.modules, *self.classes]:
            value = member(owner, name)
            if value is not _MISSING:
                return value
        return _MISSING


def problems_of(all_spans: list[str]) -> list[str]:
    resolver = Resolver(all_spans)
    ordered = sorted(set(all_spans))
    # Resolve until no new class turns up, so that a bare member (an enum code, a model field)
    # finds its class whatever order the names come in.
    while True:
        known = len(resolver.classes)
        for span in ordered:
            if span not in NOT_NAMES and not PATH.match(span) and NAME.match(span):
                resolver.resolve(span)
        if len(resolver.classes) == known:
            break
    return [problem for span in ordered if (problem := _problem(resolver, span))]


def _problem(resolver: Resolver, span: str) -> str | None:
    if span in NOT_NAMES:
        return None
    if PATH.match(span):
        return path_problem(span)
    if NAME.match(span):
        if resolver.resolve(span) is not _MISSING or _named_in_code(span):
            return None
        return f"{span}: names nothing in the modules and classes the document names"
    if TEXT.match(span):
        return None if span in code_strings() else f"{span}: no such string in the code"
    return f"{span}: neither a path, a name nor a plain string (add it to NOT_NAMES?)"


def _named_in_code(name: str) -> bool:
    # Header names, log events, detail keys; a Prometheus counter is declared without `_total`.
    return name in code_strings() or name.removesuffix("_total") in code_strings()


def status_of(code_name: str) -> int | None:
    for enum in ERROR_CODE_ENUMS:
        if code_name in enum.__members__:
            return http_status_for(parse_error_code(enum[code_name].value))
    return None


def test_every_name_in_the_error_patterns_document_exists() -> None:
    assert problems_of(spans(DOC.read_text())) == []


def test_every_status_the_document_states_is_the_status_tables() -> None:
    claims = STATUS_CLAIM.findall(DOC.read_text())
    wrong = [(code, status) for code, status in claims if status_of(code) != int(status)]

    assert len(claims) > 10
    assert wrong == []


def test_the_check_catches_names_that_do_not_exist() -> None:
    made_up = [
        "ErrorCode",
        "ErrorCode.NOT_A_CODE",
        "common_core.error_enums.no_such_function",
        "huleedu_service_libs.no_such_module.Thing",
        "libs/common_core/docs/no-such-file.md",
        "services/api_gateway_service/errors.py::no_such_function",
        "no_such_detail_key",
        "no such log line",
        "{not: a name}",
    ]
    problems = problems_of(made_up)

    assert len(problems) == len(made_up) - 1
    for span in made_up[1:]:
        assert any(problem.startswith(f"{span}: ") for problem in problems), span


def test_a_status_claim_that_is_wrong_is_caught() -> None:
    assert status_of("RESOURCE_NOT_FOUND") == 404
    assert status_of("NOT_A_CODE") is None
    assert STATUS_CLAIM.findall("`TIMEOUT` 500") == [("TIMEOUT", "500")]


def test_the_document_is_linked_from_the_common_core_readme_and_docs() -> None:
    readme = (REPO_ROOT / "libs" / "common_core" / "README.md").read_text()
    architecture = (REPO_ROOT / "docs" / "architecture.md").read_text()

    assert "(docs/error-patterns.md)" in readme
    assert "(../libs/common_core/docs/error-patterns.md)" in architecture


def test_fields_declared_without_a_value_resolve() -> None:
    resolver = Resolver(["common_core.models.error_models.ErrorDetail"])

    assert resolver.resolve("ErrorDetail.details") is not _MISSING
    assert resolver.resolve("ErrorDetail.no_such_field") is _MISSING
