"""Every script explains itself with --help and refuses what it does not know."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.create_topics import planned_topics, registry_topics
from scripts.platform_services import REPO_ROOT

SCRIPTS = [
    "create_topics.py",
    "migrate_all.py",
    "verify_outbox_indexes.py",
    "docker_requirements.py",
    "stack.py",
    "demo.py",
]


def run_script(name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, str(REPO_ROOT / "scripts" / name), *arguments]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_prints_help(name: str) -> None:
    done = run_script(name, "--help")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")


@pytest.mark.parametrize("name", ["migrate_all.py", "verify_outbox_indexes.py"])
def test_unknown_service_is_refused_with_the_known_names(name: str) -> None:
    done = run_script(name, "--service", "payroll_service")

    assert done.returncode == 2
    assert "unknown service(s): payroll_service" in done.stderr
    assert "cj_assessment_service" in done.stderr


def test_topic_list_is_every_registry_topic_and_its_dead_letter_topic() -> None:
    done = run_script("create_topics.py", "--list")

    assert done.returncode == 0
    assert done.stdout.split() == planned_topics()
    assert len(planned_topics()) == 2 * len(registry_topics())
    assert all(f"{topic}.DLQ" in planned_topics() for topic in registry_topics())


def test_demo_without_a_running_stack_says_how_to_start_one(tmp_path: Path) -> None:
    done = run_script("demo.py", "--stack-file", str(tmp_path / "stack.json"))

    assert done.returncode == 1
    assert "no running stack" in done.stderr
    assert "pdm run stack" in done.stderr
