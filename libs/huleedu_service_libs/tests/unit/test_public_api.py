"""Every public name of the library earns its place: a service uses it, or its package README
documents it and a test exercises it. A name that is neither is dead code or an internal
detail, and belongs out of `__all__`."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

LIBRARY = Path(__file__).parents[2]
PACKAGE = LIBRARY / "src" / "huleedu_service_libs"
REPOSITORY = LIBRARY.parents[1]
CONSUMERS = ("services", "scripts", "benchmarks")


def _exported(init: Path) -> list[str]:
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return [ast.literal_eval(element) for element in node.value.elts]  # type: ignore[attr-defined]
    return []


def _public_names() -> list[tuple[str, str]]:
    return [
        (init.parent.relative_to(PACKAGE).as_posix() or ".", name)
        for init in sorted(PACKAGE.rglob("__init__.py"))
        for name in _exported(init)
    ]


def _python_text(paths: list[Path], *, tests: bool) -> str:
    files = (file for path in paths for file in path.rglob("*.py"))
    return "\n".join(file.read_text() for file in files if ("tests" in file.parts) == tests)


@cache
def _service_code() -> str:
    return _python_text([REPOSITORY / folder for folder in CONSUMERS], tests=False)


@cache
def _test_code() -> str:
    return _python_text(
        [LIBRARY / "tests", REPOSITORY / "services", REPOSITORY / "tests"], tests=True
    )


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


@pytest.mark.parametrize(("package", "name"), _public_names())
def test_public_name_is_used_or_documented_and_tested(package: str, name: str) -> None:
    if _mentions(_service_code(), name):
        return
    readme = PACKAGE / package / "README.md"
    documented = readme.exists() and _mentions(readme.read_text(), name)
    tested = _mentions(_test_code(), name)
    assert (documented, tested) == (True, True), (
        f"huleedu_service_libs/{package} exports {name}, which no service uses; "
        f"documented in its README: {documented}, named in a test: {tested}"
    )
