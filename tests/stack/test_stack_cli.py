"""`pdm run stack` as a user runs it: clear refusals, a healthy platform, a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from huleedu_service_libs.testing.processes import free_port
from scripts.platform_services import GATEWAY, REPO_ROOT
from scripts.stack_runner.children import die_with_parent
from scripts.stack_runner.infrastructure import ENV_KAFKA, ENV_POSTGRES, ENV_REDIS
from scripts.stack_runner.prometheus import TARGETS_FILE
from scripts.stack_runner.services import plan_services

STACK = [sys.executable, str(REPO_ROOT / "scripts" / "stack.py"), "--no-color"]
RUNNABLE = plan_services().runnable


def _environment_without_stack_urls() -> dict[str, str]:
    names = (ENV_POSTGRES, ENV_REDIS, ENV_KAFKA)
    return {key: value for key, value in os.environ.items() if key not in names}


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*STACK, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env=_environment_without_stack_urls(),
        check=False,
    )


@pytest.fixture
def server_data_dir() -> Iterator[Path]:
    """Outside pytest's own temporary root, which other pytest runs reset to mode 0700 (the
    embedded PostgreSQL runs as an unprivileged user when we are root); named so that CI's
    survivor check (scripts/check-no-test-servers.sh) sees any server left behind."""
    path = Path(tempfile.mkdtemp(prefix="huleedu-test-stack-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_taken_port_is_named_without_a_traceback(busy_port: int, tmp_path: Path) -> None:
    assert RUNNABLE, "no service can run yet"
    spec = RUNNABLE[0]

    done = _run("--data-dir", str(tmp_path / "stack"), "--port", f"{spec.name}={busy_port}")

    assert done.returncode == 1
    assert f"port(s) already in use: {busy_port} ({spec.name})" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_external_without_urls_names_the_missing_variables(tmp_path: Path) -> None:
    data_dir = tmp_path / "stack"
    data_dir.mkdir()
    (data_dir / "marker").write_text("old run")
    ports = [f"{spec.name}={free_port()}" for spec in RUNNABLE]

    done = _run("--external", "--fresh", "--data-dir", str(data_dir), *_port_flags(ports))

    assert done.returncode == 1
    assert f"--external needs these environment variables: {ENV_POSTGRES}" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert not (data_dir / "marker").exists()  # --fresh wiped the old data


def test_unknown_port_flag_is_refused() -> None:
    done = _run("--port", "payroll=1")

    assert done.returncode != 0
    assert "expected SERVICE=PORT" in done.stderr


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_stack_starts_every_service_healthy_and_ctrl_c_leaves_no_process(
    server_data_dir: Path,
) -> None:
    ports = {spec.name: free_port() for spec in RUNNABLE} | {GATEWAY.name: free_port()}
    flags = _port_flags([f"{name}={port}" for name, port in ports.items()])
    data_dir = server_data_dir / "stack"

    for _run_number in range(2):  # the second run reuses the data of the first
        stack = subprocess.Popen(
            [*STACK, "--data-dir", str(data_dir), *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=_environment_without_stack_urls(),
            preexec_fn=die_with_parent,
        )
        try:
            output = _read_until(stack, "up in ", timeout=240)
            healthy = {name: _healthz(port) for name, port in ports.items()}
            scraped = _scrape_every_target(data_dir / TARGETS_FILE)
            processes = _descendants(stack.pid)
            stack.send_signal(signal.SIGINT)
            output += stack.communicate(timeout=60)[0]
        finally:
            stack.kill()

        assert healthy == dict.fromkeys(ports, 200), output
        assert set(scraped) >= set(ports), output
        without_defaults = [job for job, text in scraped.items() if "process_cpu" not in text]
        assert without_defaults == [], "no default collectors on /metrics"
        assert stack.returncode == 0, output
        assert len(processes) >= 3 + len(RUNNABLE)  # PostgreSQL, Redis, Kafka, the services
        assert _still_alive(processes) == [], output
    assert (data_dir / "postgres" / "pgdata" / "PG_VERSION").is_file()
    assert {path.name for path in (data_dir / "logs").iterdir()} >= {
        f"{spec.name.removesuffix('_service')}-api.log" for spec in RUNNABLE
    }


def _port_flags(pairs: list[str]) -> list[str]:
    return [flag for pair in pairs for flag in ("--port", pair)]


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    process.kill()
    raise AssertionError("the stack did not come up:\n" + "".join(lines[-60:]))


def _scrape_every_target(targets_file: Path) -> dict[str, str]:
    """Each job's /metrics, as a Prometheus reading the stack's file_sd targets would get it."""
    scraped: dict[str, str] = {}
    for group in json.loads(targets_file.read_text()):
        [target] = group["targets"]
        response = httpx.get(f"http://{target}/metrics", timeout=10)
        assert response.status_code == 200, (group, response.text[:300])
        scraped[group["labels"]["job"]] = response.text
    return scraped


def _healthz(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def _still_alive(pids: list[int]) -> list[str]:
    alive: list[str] = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists() and "State:\tZ" not in status.read_text():
            alive.append((Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "))[:120])
    return alive
