"""What the rules in .cursor/rules/ claim about the code, checked against the code.

A rule that says "modules stay under 300 lines" or "use cases are dataclasses" is only worth
reading while it is true; each claim a lint cannot check is checked here, and the rule names the
test (its "Enforced by" section).
"""

from __future__ import annotations

import ast
import importlib
import re
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from scripts.platform_services import REPO_ROOT

MAX_MODULE_LINES = 300
SERVICES_DIR = REPO_ROOT / "services"


def tracked_python(*roots: str) -> Iterator[Path]:
    for root in roots:
        for path in sorted((REPO_ROOT / root).rglob("*.py")):
            if not {".venv", "__pycache__"} & set(path.parts):
                yield path


def production_modules() -> Iterator[Path]:
    """Code that runs in a service: libraries and services; tests, migrations, scripts and
    benchmarks excluded."""
    for path in tracked_python("libs", "services"):
        relative = path.relative_to(REPO_ROOT).parts
        if "tests" in relative or "versions" in relative:
            continue
        if relative[0] == "libs" and "src" not in relative:
            continue
        yield path


def test_production_modules_stay_under_300_lines() -> None:
    long = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in production_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }

    assert long == {}


def function_lengths() -> list[int]:
    return sorted(
        node.end_lineno - node.lineno + 1
        for path in production_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno
    )


def test_functions_stay_short() -> None:
    lengths = function_lengths()

    assert statistics.median(lengths) <= 10
    assert lengths[int(0.9 * len(lengths))] <= 30


def copies_its_arguments_only(init: ast.FunctionDef) -> bool:
    parameters = [argument.arg for argument in init.args.args[1:]]
    statements = [
        s for s in init.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return (
        bool(parameters)
        and all(
            isinstance(statement, ast.Assign)
            and isinstance(target := statement.targets[0], ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and isinstance(statement.value, ast.Name)
            and statement.value.id == target.attr
            for statement in statements
        )
        and len(statements) == len(parameters)
    )


def hand_written_field_constructors(path: Path, root: Path = REPO_ROOT) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{path.relative_to(root)}::{node.name}"
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        for init in node.body
        if isinstance(init, ast.FunctionDef)
        and init.name == "__init__"
        and copies_its_arguments_only(init)
    ]


def test_use_cases_and_loops_are_dataclasses_of_their_dependencies() -> None:
    modules = [*SERVICES_DIR.glob("*/handlers/*.py"), *SERVICES_DIR.glob("*/workers/*.py")]
    found = [name for path in sorted(modules) for name in hand_written_field_constructors(path)]

    assert modules
    assert found == []


def test_the_constructor_check_finds_a_hand_written_one(tmp_path: Path) -> None:
    module = tmp_path / "handler.py"
    copying = "    def __init__(self, uows: object) -> None:\n        self.uows = uows\n"
    deriving = "    def __init__(self, size: int) -> None:\n        self.cache = [0] * size\n"
    module.write_text(f"class Copying:\n{copying}\n\nclass Deriving:\n{deriving}")

    assert hand_written_field_constructors(module, tmp_path) == ["handler.py::Copying"]


def request_models() -> Iterator[tuple[str, type[BaseModel]]]:
    for schemas in sorted(SERVICES_DIR.glob("*/api/schemas.py")):
        module_name = ".".join(schemas.relative_to(REPO_ROOT).with_suffix("").parts)
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if (
                name.endswith("Request")
                and isinstance(value, type)
                and issubclass(value, BaseModel)
            ):
                yield f"{module_name}.{name}", value


def test_request_models_refuse_unknown_fields() -> None:
    models = dict(request_models())
    tolerant = [
        name for name, model in models.items() if model.model_config.get("extra") != "forbid"
    ]

    assert len(models) >= 8
    assert tolerant == []


MOCK_CALL_ASSERTION = re.compile(r"\.assert_(?:called|awaited|has_calls|not_called|any_call)")


def test_no_test_asserts_on_mock_calls() -> None:
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in tracked_python("libs", "services", "tests")
        if "tests" in path.parts
        and MOCK_CALL_ASSERTION.search(path.read_text())
        and path != Path(__file__)
    ]

    assert offenders == []


def service_sources() -> Iterator[Path]:
    for path in tracked_python("services"):
        if "tests" not in path.relative_to(SERVICES_DIR).parts:
            yield path


def test_services_build_no_engine_of_their_own() -> None:
    own = [
        str(path.relative_to(REPO_ROOT))
        for path in service_sources()
        if "create_async_engine" in path.read_text()
    ]

    assert own == []


def test_repositories_never_commit() -> None:
    """The unit of work owns the transaction; every other adapter only uses its session."""
    committing = [
        str(path.relative_to(REPO_ROOT))
        for path in SERVICES_DIR.glob("*/implementations/*.py")
        if path.name != "unit_of_work.py" and re.search(r"\.commit\(\)", path.read_text())
    ]

    assert committing == []


def test_every_stored_timestamp_is_timezone_aware() -> None:
    naive = [
        f"{path.relative_to(REPO_ROOT)}: {line.strip()}"
        for path in [*SERVICES_DIR.glob("*/models_db.py"), *production_modules()]
        for line in path.read_text().splitlines()
        if re.search(r"\bDateTime\(", line) and "timezone=True" not in line
    ]

    assert naive == []


@pytest.mark.parametrize(
    "pyproject",
    sorted([REPO_ROOT / "pyproject.toml", *REPO_ROOT.glob("libs/*/pyproject.toml")])
    + sorted(SERVICES_DIR.glob("*/pyproject.toml")),
    ids=lambda path: str(path.parent.relative_to(REPO_ROOT)) or "root",
)
def test_dependencies_name_lower_bounds_and_leave_versions_to_the_lock(pyproject: Path) -> None:
    pinned = [
        line.strip()
        for line in pyproject.read_text().splitlines()
        if re.search(r'^\s*"[A-Za-z0-9_.\[\],-]+\s*(==|~=|===)', line)
    ]

    assert pinned == []
