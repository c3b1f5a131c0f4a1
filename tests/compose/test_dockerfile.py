"""The platform image: multi-stage, frozen lock, production packages only, not root."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.docker_requirements import lock_constraints, service_requirements
from scripts.platform_services import REPO_ROOT

pytestmark = pytest.mark.contract
DOCKERFILE = REPO_ROOT / "Dockerfile"
DEV_TOOLS = {"pytest", "pytest-asyncio", "pytest-xdist", "ruff", "mypy", "hypothesis", "fpdf2"}


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_image_is_built_in_stages_and_runs_as_a_non_root_user() -> None:
    stages = _stages()
    final_users = [args for name, args in stages[-1] if name == "USER"]

    assert len(stages) >= 2
    assert final_users
    assert final_users[-1] not in {"root", "0"}


def test_builds_without_a_registry_fetched_frontend() -> None:
    # A `# syntax=` directive makes BuildKit pull a frontend image before anything else.
    first_lines = DOCKERFILE.read_text().splitlines()[:5]

    assert [line for line in first_lines if re.match(r"#\s*syntax\s*=", line)] == []


def test_build_installs_only_from_the_frozen_lock() -> None:
    runs = " ".join(args for name, args in _instructions() if name == "RUN")

    assert "pdm lock --check" in runs
    assert "--constraint" in runs


def test_final_stage_carries_no_build_tool() -> None:
    final = " ".join(args for _name, args in _stages()[-1])

    assert "pdm" not in final.replace("pdm.lock", "")
    assert "pip install" not in final


def test_every_copied_path_exists() -> None:
    copied = [
        Path(part)
        for name, args in _instructions()
        if name == "COPY" and "--from=" not in args
        for part in [p for p in args.split() if not p.startswith("--")][:-1]
    ]

    assert copied
    assert [str(path) for path in copied if not (REPO_ROOT / path).exists()] == []


def test_production_requirements_exclude_every_dev_tool() -> None:
    names = {
        re.split(r"[<>=!~\[;]", line)[0].strip().lower() for line in service_requirements(REPO_ROOT)
    }

    assert names
    assert names & DEV_TOOLS == set()


def test_lock_constraints_drop_editable_and_comment_lines() -> None:
    exported = "\n".join(
        ["# generated", "-e ./libs/common_core#egg=x", "aiokafka==0.14.0", "", "redis==6.0; x>'3'"]
    )

    assert lock_constraints(exported) == ["aiokafka==0.14.0", "redis==6.0; x>'3'"]
