"""The commands a service directory is worked in with, run from a clone of HEAD: `pdm run alembic`,
the six migrate-* scripts, `pdm run -p services/<name> dev` and `pdm run pytest-root`. None may
create an environment of the service's own or change a tracked file.

The clone borrows this checkout's .venv and .tools (a fresh sync costs minutes). It starts without
a .pdm-python anywhere, which is the state that used to create a stray services/<name>/.venv."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE = "services/entitlements_service"
PREFIX = "ENTITLEMENTS_SERVICE_"
FINGERPRINTED = ["pdm.lock", "pyproject.toml", "libs/*/pyproject.toml", "services/*/pyproject.toml"]

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _fingerprint(root: Path) -> str:
    """What ./dev compares with .venv's stamp before it re-syncs (see sync_fingerprint there)."""
    data = b"".join(
        path.read_bytes() for pattern in FINGERPRINTED for path in sorted(root.glob(pattern))
    )
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pdm = REPO_ROOT / ".tools/pdm/bin/pdm"
    stamp = REPO_ROOT / ".venv/.huleedu-sync-stamp"
    if not pdm.exists() or not stamp.exists():
        pytest.skip("needs ./dev setup in this checkout")
    root = tmp_path_factory.mktemp("clone") / "repo"
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(REPO_ROOT), str(root)], check=True)
    if _fingerprint(root) != stamp.read_text().strip():
        # ./dev setup in the clone would re-sync the borrowed .venv to the clone's paths
        pytest.skip(".venv is synced for uncommitted pyproject/lock changes; commit or ./dev setup")
    (root / ".venv").symlink_to(REPO_ROOT / ".venv")
    (root / ".tools").symlink_to(REPO_ROOT / ".tools")
    (root.parent / "home").mkdir()
    return root


def _env(clone: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PDM_", "VIRTUAL_ENV", PREFIX, "PYTEST_", "COV_"))
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p]
    env |= {
        "PATH": os.pathsep.join([str(clone / ".tools/pdm/bin"), *path]),
        "HOME": str(clone.parent / "home"),
        "PDM_CHECK_UPDATE": "false",
        **extra,
    }
    return env


def _pdm(clone: Path, cwd: str, *args: str, **env: str) -> str:
    done = subprocess.run(
        ["pdm", "run", *args],
        cwd=clone / cwd,
        env=_env(clone, **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"pdm run {' '.join(args)} in {cwd}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _tracked_changes(clone: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout


def _service_environments(clone: Path) -> list[Path]:
    return [
        path
        for service in (clone / "services").iterdir()
        for path in (service / ".venv", service / ".pdm-python")
        if path.exists() or path.is_symlink()
    ]


@pytest.fixture
def checked(clone: Path) -> Iterator[Path]:
    yield clone
    assert _service_environments(clone) == []
    assert _tracked_changes(clone) == ""


def test_alembic_in_a_service_directory_uses_the_root_environment(checked: Path) -> None:
    assert "(head)" in _pdm(checked, SERVICE, "alembic", "heads")
    assert "<base> ->" in _pdm(checked, SERVICE, "migrate-history")


async def test_the_migrate_scripts_drive_the_services_chain(
    checked: Path, fresh_database_url: str
) -> None:
    def run(*args: str) -> str:
        return _pdm(checked, SERVICE, *args, **{f"{PREFIX}DATABASE_URL": fresh_database_url})

    head = ScriptDirectory.from_config(Config(checked / SERVICE / "alembic.ini")).get_current_head()
    assert head is not None
    await asyncio.to_thread(run, "migrate-upgrade")
    await asyncio.to_thread(run, "migrate-downgrade")
    assert head not in await asyncio.to_thread(run, "migrate-current")
    await asyncio.to_thread(run, "migrate-stamp")
    versions = checked / SERVICE / "alembic/versions"
    before = set(versions.iterdir())
    await asyncio.to_thread(run, "migrate-revision", "-m", "probe")
    created = [p for p in set(versions.iterdir()) - before if p.suffix == ".py"]
    assert len(created) == 1
    assert "probe" in created[0].read_text()
    created[0].unlink()
    assert head in await asyncio.to_thread(run, "migrate-current")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: the API is being served
    except OSError:
        return False


def test_dev_serves_the_services_api_from_the_root(checked: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        ["pdm", "run", "-p", SERVICE, "dev", "--port", str(port)],
        cwd=checked,
        env=_env(checked),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not _answers(f"http://127.0.0.1:{port}/healthz"):
            assert process.poll() is None, "dev exited"
            assert time.monotonic() < deadline, "dev never answered"
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def test_pytest_root_runs_a_services_unit_tests(checked: Path) -> None:
    out = _pdm(
        checked, ".", "pytest-root", f"{SERVICE}/tests/unit/", "-q", "-p", "no:cacheprovider"
    )
    assert " passed" in out
