"""The rules in .cursor/rules/ cannot drift from the code: every path they cite exists, and every
`path::Name` names something that file defines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.platform_services import REPO_ROOT

RULES_DIR = REPO_ROOT / ".cursor" / "rules"
EXPECTED_RULES = {
    "000-rule-index",
    "030-event-driven-architecture-eda-standards",
    "040-service-implementation-guidelines",
    "041-http-service-blueprint",
    "041-fastapi-integration-patterns",
    "042-async-patterns-and-di",
    "042.1-transactional-outbox-pattern",
    "043-service-configuration-and-logging",
    "048-error-handling",
    "050-python-coding-standards",
    "051-pydantic-v2-standards",
    "053-sqlalchemy-standards",
    "055-import-and-module-standards",
    "070-testing-standards",
    "075-test-creation-methodology",
    "083-pdm-standards",
    "085-database-migration-standards",
    "090-docker-compose",
}
_TOP_LEVEL = r"(?:libs|services|scripts|tests|benchmarks|\.ci|\.cursor)/|Dockerfile|env\.example|"
_TOP_LEVEL += r"pyproject\.toml|pdm\.lock|docker-compose[\w.]*\.yml"
CITATION = re.compile(rf"`((?:{_TOP_LEVEL})[^`\s]*)`")
RULE_FILES = sorted(RULES_DIR.glob("*.mdc"))


def citations(text: str) -> list[str]:
    return CITATION.findall(text)


def defines(path: Path, name: str) -> bool:
    pattern = rf"^\s*(?:async\s+def|def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*[:=]"
    return re.search(pattern, path.read_text(), re.MULTILINE) is not None


def problem_with(citation: str) -> str | None:
    path_text, _, name = citation.partition("::")
    pattern = path_text.replace("<name>", "*")
    matches = list(REPO_ROOT.glob(pattern)) if "*" in pattern else [REPO_ROOT / pattern]
    existing = [path for path in matches if path.exists()]
    if not existing:
        return f"{citation}: no such path"
    if name and not any(path.is_file() and defines(path, name) for path in existing):
        return f"{citation}: {path_text} defines no {name}"
    return None


def test_every_rule_the_index_promises_exists() -> None:
    assert {path.stem for path in RULE_FILES} == EXPECTED_RULES


@pytest.mark.parametrize("rule", RULE_FILES, ids=lambda path: path.stem)
def test_every_path_a_rule_cites_exists(rule: Path) -> None:
    cited = citations(rule.read_text())
    problems = [problem for citation in cited if (problem := problem_with(citation))]

    assert cited, f"{rule.name} cites no code"
    assert problems == []


@pytest.mark.parametrize("rule", RULE_FILES, ids=lambda path: path.stem)
def test_rule_has_cursor_front_matter(rule: Path) -> None:
    lines = rule.read_text().splitlines()

    assert lines[0] == "---"
    assert any(line.startswith("description: ") for line in lines[1 : lines.index("---", 1)])


CHECK = re.compile(
    r"^(?:tests/|libs/.+/tests/|services/.+/tests/|pyproject\.toml$|\.ci/run$|Dockerfile$|scripts/check-)"
)
MIGRATION_TESTS = "libs/huleedu_service_libs/src/huleedu_service_libs/testing/migrations.py"


def enforcing_checks(text: str) -> list[str]:
    """The citations under a rule's "## Enforced by" heading that name a check: a test, a lint
    configuration, CI, or the migration-test base class every chain's test subclasses."""
    _, heading, section = text.partition("\n## Enforced by\n")
    if not heading:
        return []
    return [
        citation
        for citation in citations(section)
        if CHECK.match(citation.partition("::")[0]) or citation.startswith(MIGRATION_TESTS)
    ]


@pytest.mark.parametrize(
    "rule", [r for r in RULE_FILES if r.stem != "000-rule-index"], ids=lambda path: path.stem
)
def test_every_rule_names_the_check_that_enforces_it(rule: Path) -> None:
    assert enforcing_checks(rule.read_text()), f"{rule.name} has no '## Enforced by' check"


def test_a_rule_without_a_check_is_reported() -> None:
    assert enforcing_checks("# rule\n- `services/file_service/app.py`\n") == []
    claim_only = "# rule\n\n## Enforced by\n- `services/file_service/app.py`\n"
    assert enforcing_checks(claim_only) == []
    checked = "# rule\n\n## Enforced by\n- `tests/rules/test_code_claims.py`\n"
    assert enforcing_checks(checked) == ["tests/rules/test_code_claims.py"]


@pytest.mark.parametrize("suffix", [".md", ".mdc"])
def test_every_rule_is_also_under_claude_rules(suffix: str) -> None:
    mirrored = {
        path.stem: path.resolve() for path in (REPO_ROOT / ".claude" / "rules").glob(f"*{suffix}")
    }

    assert mirrored == {path.stem: path.resolve() for path in RULE_FILES}


def test_a_stale_citation_is_reported() -> None:
    assert problem_with("services/file_service/no_such_module.py") is not None
    assert problem_with("scripts/platform_services.py::NoSuchName") is not None
    assert problem_with("scripts/platform_services.py::SERVICES") is None
    assert problem_with("services/<name>_service/alembic.ini") is None
