"""Runs the documented regeneration command against a copy of the library's contract files."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from common_core.events import ProcessingEvent, topic_name

pytestmark = pytest.mark.contract

LIB_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path("scripts") / "regenerate_contracts.py"
SNAPSHOT = f"{topic_name(ProcessingEvent.CLASS_CREATED)}.json"


@pytest.fixture
def lib_copy(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(LIB_ROOT / SCRIPT, tmp_path / SCRIPT)
    shutil.copytree(LIB_ROOT / "schemas", tmp_path / "schemas")
    shutil.copy(LIB_ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def run(lib: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(lib / SCRIPT), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_check_passes_on_the_committed_files(lib_copy: Path) -> None:
    result = run(lib_copy, "--check")

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_missing_snapshot_fails_the_check_and_regeneration_restores_it(lib_copy: Path) -> None:
    original = (lib_copy / "schemas" / SNAPSHOT).read_text()
    (lib_copy / "schemas" / SNAPSHOT).unlink()

    assert run(lib_copy, "--check").returncode == 1
    assert run(lib_copy).returncode == 0
    assert (lib_copy / "schemas" / SNAPSHOT).read_text() == original


def test_regeneration_refuses_to_overwrite_an_incompatible_snapshot(lib_copy: Path) -> None:
    path = lib_copy / "schemas" / SNAPSHOT
    snapshot = json.loads(path.read_text())
    snapshot["$defs"]["ClassCreatedV1"]["properties"]["retired"] = {"type": "string"}
    path.write_text(json.dumps(snapshot))

    result = run(lib_copy)

    assert result.returncode == 1
    assert "retired: field removed" in result.stdout
    assert json.loads(path.read_text()) == snapshot


def test_a_stale_readme_table_fails_the_check_and_regeneration_fixes_it(lib_copy: Path) -> None:
    readme = lib_copy / "README.md"
    readme.write_text(readme.read_text().replace("cj_assessment_service", "someone_else"))

    assert run(lib_copy, "--check").returncode == 1
    assert run(lib_copy).returncode == 0
    assert readme.read_text() == (LIB_ROOT / "README.md").read_text()
