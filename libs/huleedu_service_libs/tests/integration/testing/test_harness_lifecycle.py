"""The harness's promises about isolation and clean-up, checked on real pytest runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PYTEST_INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

RECORDING_TESTS = """
import json, os, uuid
from pathlib import Path
import asyncpg, pytest

OUT = Path(os.environ["HARNESS_OUT"])

@pytest.mark.parametrize("n", range(6))
async def test_record(n, fresh_database_url, redis_url, redis_server, kafka_topics):
    topic = await kafka_topics.create("iso")
    dsn = fresh_database_url.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE mine (n int)")
    tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    await conn.close()
    record = {"worker": os.environ.get("PYTEST_XDIST_WORKER"), "database": fresh_database_url,
              "redis": redis_url, "topic": topic, "tables": tables}
    (OUT / f"{uuid.uuid4().hex}.json").write_text(json.dumps(record))
"""

PID_TESTS = """
import json, os, time
from pathlib import Path

def test_servers(
    huleedu_server_pool, postgres_server, redis_server, kafka_server, private_redis_server
):
    # Written under another name, then renamed: the outer test never reads a half-written file.
    out = Path(os.environ["HARNESS_OUT"])
    out.joinpath("pids.tmp").write_text(json.dumps(huleedu_server_pool.embedded_pids()))
    out.joinpath("pids.tmp").rename(out / "pids.json")
    if os.environ.get("HARNESS_HANG"):
        time.sleep(600)
"""


def _inner_project(tmp_path: Path, tests: str) -> tuple[Path, dict[str, str]]:
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    (tmp_path / "test_inner.py").write_text(tests)
    out = tmp_path / "out"
    out.mkdir()
    return out, {**os.environ, "HARNESS_OUT": str(out)}


def _pytest_argv(*extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_dead(pids: list[int], timeout: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if _alive(pid)]


def test_two_xdist_workers_never_share_a_database_topic_or_redis(tmp_path: Path) -> None:
    out, env = _inner_project(tmp_path, RECORDING_TESTS)
    result = subprocess.run(
        _pytest_argv("-n", "2", "test_inner.py"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    records = [json.loads(path.read_text()) for path in out.glob("*.json")]
    assert len(records) == 6
    assert {record["worker"] for record in records} == {"gw0", "gw1"}
    for key in ("database", "redis", "topic"):
        assert len({record[key] for record in records}) == 6, key
    assert {record["tables"] for record in records} == {1}


def test_no_server_survives_a_normal_run(tmp_path: Path) -> None:
    out, env = _inner_project(tmp_path, PID_TESTS)
    result = subprocess.run(
        _pytest_argv("test_inner.py"), cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pids = json.loads((out / "pids.json").read_text())
    assert len(pids) == 4
    assert _wait_dead(pids) == []


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGKILL])
def test_no_server_survives_an_interrupted_run(tmp_path: Path, stop_signal: signal.Signals) -> None:
    out, env = _inner_project(tmp_path, PID_TESTS)
    runner = subprocess.Popen(
        _pytest_argv("test_inner.py"),
        cwd=tmp_path,
        env={**env, "HARNESS_HANG": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pid_file = out / "pids.json"
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    pids = json.loads(pid_file.read_text())
    runner.send_signal(stop_signal)
    runner.wait(timeout=30)
    assert len(pids) == 4
    assert _wait_dead(pids) == []


def test_without_any_server_integration_tests_fail_naming_what_is_missing(tmp_path: Path) -> None:
    _, env = _inner_project(tmp_path, "def test_needs_db(postgres_server):\n    pass\n")
    env = {**env, "HULEEDU_TEST_DOCKER": "0", "HULEEDU_TEST_EMBEDDED": "0"}
    env.pop("HULEEDU_TEST_DATABASE_URL", None)
    result = subprocess.run(
        _pytest_argv("test_inner.py"), cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "1 error" in result.stdout
    assert "skipped" not in result.stdout
    assert "no PostgreSQL server for the tests" in result.stdout
    assert "HULEEDU_TEST_DATABASE_URL" in result.stdout
