"""Several Uvicorn workers and PROMETHEUS_MULTIPROC_DIR: /metrics counts every worker's requests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from huleedu_service_libs.testing.processes import free_port, port_open

pytestmark = [pytest.mark.integration, pytest.mark.slow]
HERE = Path(__file__).resolve().parent
SERVE = (
    "import sys; from huleedu_service_libs.app import serve_http; "
    "serve_http(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]), workers=2)"
)
HEALTHZ_COUNT = re.compile(
    rb'http_requests_total\{method="GET",route="/healthz",status="200"\} ([0-9.]+)'
)
REQUESTS = 40


def _healthz_count(body: bytes) -> float:
    return sum(float(value) for value in HEALTHZ_COUNT.findall(body))


def test_metrics_sum_the_requests_of_every_worker(fresh_database_url: str, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "SERVED_APP_DATABASE_URL": fresh_database_url,
        "SERVED_APP_SHUTDOWN_MARK": str(tmp_path / "mark"),
        "SERVED_APP_DELAY": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    command = [sys.executable, "-c", SERVE, "served_app:production_app", str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    try:
        _wait_until_serving(process, port)
        for _ in range(REQUESTS):  # a new connection each time, so both workers answer some
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                assert client.get("/healthz").status_code == 200
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            counts = [_healthz_count(client.get("/metrics").content) for _ in range(6)]
        pids = {path.name.split("_")[-1] for path in metrics_dir.glob("*.db")}
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert len(pids) >= 2, pids  # both workers wrote samples
    assert counts == [REQUESTS] * len(counts)


def _wait_until_serving(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 90  # two workers starting on a busy 2-core machine
    while time.monotonic() < deadline and process.poll() is None:
        if port_open(port) and _answers(port):
            break
        time.sleep(0.1)
    assert process.poll() is None
    time.sleep(2.0)  # both workers up, not only the first


def _answers(port: int) -> bool:
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            client.get("/openapi.json")
    except httpx.TransportError:
        return False
    return True
