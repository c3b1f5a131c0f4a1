"""`./dev`: a mistyped task fails (exit 2) and says what exists, instead of passing silently."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

DEV = Path(__file__).resolve().parents[2] / "dev"


def _dev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DEV), *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("task", ["tset", "lnt", "--lint"])
def test_an_unknown_task_exits_2_and_lists_the_tasks(task: str) -> None:
    result = _dev(task)
    assert result.returncode == 2
    assert f"unknown task '{task}'" in result.stderr
    for known in ("test", "lint", "typecheck", "format", "stack", "demo", "setup", "pdm"):
        assert f"./dev {known}" in result.stderr


def test_help_lists_the_tasks_and_succeeds() -> None:
    result = _dev("help")
    assert result.returncode == 0
    assert "./dev typecheck" in result.stdout
    assert "set -euo" not in result.stdout
