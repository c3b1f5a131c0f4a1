"""serve_http in a real child process: serving, the access line, and a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from huleedu_service_libs.app import ACCESS_LOGGER
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.testing.processes import free_port, port_open

pytestmark = pytest.mark.integration
HERE = Path(__file__).resolve().parent
SERVE = (
    "import sys; from huleedu_service_libs.app import serve_http; "
    "serve_http(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]), workers=int(sys.argv[3]))"
)
FACTORY = "served_app:production_app"  # served_app.py, beside this file


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int, mark: Path) -> None:
        self.process, self.port, self.mark = process, port, mark

    def lines(self) -> list[dict[str, Any]]:
        out = self.process.stdout.read() if self.process.stdout else ""
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def served(fresh_database_url: str, tmp_path: Path) -> Iterator[Served]:
    port, mark = free_port(), tmp_path / "shutdown"
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "SERVED_APP_DATABASE_URL": fresh_database_url,
        "SERVED_APP_SHUTDOWN_MARK": str(mark),
        "SERVED_APP_DELAY": "1.0",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, FACTORY, str(port), "1"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Start-up is slow on a loaded machine: wait for the port, up to a minute.
        deadline = time.monotonic() + 60
        while not port_open(port) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert port_open(port), "the server did not listen within 60 s"
        yield Served(process, port, mark)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_a_request_is_served_and_logged_in_its_correlation_scope(served: Served) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.port}") as client:
        health = await client.get("/healthz", headers={"X-Correlation-ID": "probe-1"})
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == -signal.SIGTERM  # re-raised once it is done

    assert health.status_code == 200, health.text
    assert health.headers["X-Correlation-ID"] == "probe-1"
    assert "server" not in health.headers
    lines = served.lines()
    [access] = [line for line in lines if line["logger"] == ACCESS_LOGGER]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/healthz", 200)
    assert access["correlation_id"] == str(CorrelationContext.from_header("probe-1").uuid)
    assert access["service"] == "served_app"
    # Uvicorn's own access line (outside the correlation scope) is not written at all.
    assert [line for line in lines if line["logger"] == "uvicorn.access"] == []
    assert all({"correlation_id", "trace_id", "span_id"} <= set(line) for line in lines)


async def test_sigterm_lets_the_open_request_finish_then_shuts_the_app_down(
    served: Served,
) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.port}") as client:
        request = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.3)  # the request is in the handler's sleep
        served.process.send_signal(signal.SIGTERM)
        response = await request

    assert response.status_code == 200
    assert response.json() == {"finished": True}
    assert served.process.wait(timeout=30) == -signal.SIGTERM  # re-raised once it is done
    assert served.mark.read_text().strip() == str(served.process.pid)
    loggers = {line["logger"] for line in served.lines()}
    assert "uvicorn.error" in loggers  # the server's own lines come through the pipeline as JSON


def _raw_exchange(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return status_line, headers, body


@pytest.mark.parametrize(
    "header",
    [b"X-Correlation-ID: abc\x7fdef", b"X-Correlation-ID: a\x00b", b"X-Bad Name: 1"],
    ids=["DEL in the correlation id", "NUL in the correlation id", "space in a header name"],
)
def test_a_request_the_parser_refuses_gets_an_error_detail_with_a_correlation_id(
    served: Served, header: bytes
) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n\r\n"
    status_line, headers, body = _raw_exchange(served.port, request)
    assert status_line == "HTTP/1.1 400 Bad Request", body
    assert headers["content-type"] == "application/json"
    detail = json.loads(body)
    assert detail["error_code"] == "VALIDATION_ERROR"
    assert detail["service"] == "served_app"
    assert headers["x-correlation-id"] == detail["original_correlation_id"]
    assert detail["correlation_id"] == detail["original_correlation_id"]  # a generated UUID


def test_a_nul_in_the_path_or_query_is_an_error_detail_naming_it(served: Served) -> None:
    for target, field in [(b"/healthz%00", "path"), (b"/healthz?x=%00", "query 'x'")]:
        request = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        status_line, headers, body = _raw_exchange(served.port, request)
        assert status_line.startswith("HTTP/1.1 400"), body
        detail = json.loads(body)
        assert detail["details"]["field"] == field
        assert headers["x-correlation-id"] == detail["original_correlation_id"]
