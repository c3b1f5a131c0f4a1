"""A worker's own small HTTP server: `/metrics` for Prometheus and `/healthz` for liveness.

Liveness is 200 while every job runs and 503 once one has ended or the worker is stopping. The
server is plain asyncio: it answers on the worker's event loop, so a stuck loop shows as a failed
probe rather than hiding behind a healthy thread.
"""

from __future__ import annotations

import asyncio
import json

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from huleedu_service_libs.logging_utils import create_service_logger

logger = create_service_logger("huleedu.worker.probe")
READ_TIMEOUT_SECONDS = 5.0
MAX_REQUEST_LINE = 8192


class ProbeServer:
    def __init__(self, service_name: str, registry: CollectorRegistry) -> None:
        self.service_name = service_name
        self.registry = registry
        self._jobs: list[asyncio.Task[None]] = []
        self._stopping = False
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the probe server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    def set_jobs(self, jobs: list[asyncio.Task[None]]) -> None:
        self._jobs = jobs

    def set_stopping(self) -> None:
        self._stopping = True

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port)
        logger.info("worker probe serving", host=host, port=self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def liveness(self) -> tuple[int, dict[str, object]]:
        ended = sorted(task.get_name() for task in self._jobs if task.done())
        alive = bool(self._jobs) and not ended and not self._stopping
        jobs = {task.get_name(): "ended" if task.done() else "running" for task in self._jobs}
        body: dict[str, object] = {
            "service": self.service_name,
            "status": "ok" if alive else "down",
            "jobs": jobs,
        }
        return (200 if alive else 503), body

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            path = await asyncio.wait_for(_request_path(reader), READ_TIMEOUT_SECONDS)
            status, content_type, body = self._answer(path)
            writer.write(_response(status, content_type, body))
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def _answer(self, path: str) -> tuple[int, str, bytes]:
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, generate_latest(self.registry)
        if path == "/healthz":
            status, body = self.liveness()
            return status, "application/json", json.dumps(body).encode()
        return 404, "application/json", b'{"error": "not found"}'


async def _request_path(reader: asyncio.StreamReader) -> str:
    line = await reader.readline()
    if len(line) > MAX_REQUEST_LINE:
        raise ValueError("request line too long")
    while (await reader.readline()).strip():  # the headers: not needed
        pass
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        raise ValueError("not an HTTP request")
    return parts[1].split("?", 1)[0]


def _response(status: int, content_type: str, body: bytes) -> bytes:
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body
