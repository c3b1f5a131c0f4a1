"""A minimal HTTP/1.1 keep-alive client for load generation: one connection per simulated client.

Why not httpx: on this 2-core machine an httpx AsyncClient with 32 pooled connections tops out
near 430 requests/s against an empty Quart route, so a benchmark driven by it measures httpx.
Writing the request bytes directly and reading the response by Content-Length (or chunks), the
same route serves over 3,000 requests/s (`python benchmarks/loadgen.py --compare` shows both).
Nothing here is clever: no pooling, no redirects, no TLS. Each worker owns one connection, as
wrk and oha do.
"""

from __future__ import annotations

import argparse
import asyncio
import json as jsonlib
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx


class ReplyError(RuntimeError):
    pass


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        if not self.is_success:
            raise ReplyError(f"HTTP {self.status_code}: {self.text[:300]}")


class KeepAliveClient:
    """One persistent connection; requests on it are sequential. Reconnects if the server closed."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.default_headers = dict(headers or {})
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> KeepAliveClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        return await self.request("GET", path, headers=headers)

    async def post(
        self,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        return await self.request("POST", path, json=json, content=content, headers=headers)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        merged = {**self.default_headers, **(headers or {})}
        body = content or b""
        if json is not None:
            body = jsonlib.dumps(json).encode()
            merged.setdefault("Content-Type", "application/json")
        reader, writer = await self._connection()
        writer.write(_request_bytes(method, path, self.host, merged, body))
        reply = await _read_reply(reader)
        if reply.headers.get("connection", "").lower() == "close":
            await self.close()
        return reply

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._reader.at_eof():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            sock = self._writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._reader, self._writer


async def run_clients(
    base_url: str,
    headers: Mapping[str, str],
    clients: int,
    work: Callable[[KeepAliveClient], Awaitable[None]],
) -> float:
    """Runs `work` once per client, each on its own connection, concurrently; the wall seconds."""
    connections = [KeepAliveClient(base_url, headers) for _ in range(clients)]
    started = time.perf_counter()
    try:
        await asyncio.gather(*(work(connection) for connection in connections))
    finally:
        for connection in connections:
            await connection.close()
    return time.perf_counter() - started


def _request_bytes(
    method: str, path: str, host: str, headers: Mapping[str, str], body: bytes
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_reply(reader: asyncio.StreamReader) -> Reply:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        content = await _read_chunks(reader)
    else:
        content = await reader.readexactly(int(headers.get("content-length", "0")))
    return Reply(int(status_line.split(" ", 2)[1]), headers, content)


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


# --- `python benchmarks/loadgen.py --compare`: this client against httpx, same server, same run.

EMPTY_APP = """
from quart import Quart
app = Quart(__name__)

@app.get("/ping")
async def ping():
    return {"ok": True}
"""


async def _rate_of(make_get: Any, clients: int, requests: int) -> tuple[float, float]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(requests):
        queue.put_nowait(index)
    latencies: list[float] = []

    async def worker(get: Any) -> None:
        while not queue.empty():
            queue.get_nowait()
            started = time.perf_counter()
            await get("/ping")
            latencies.append(time.perf_counter() - started)

    getters = await make_get(clients)
    started = time.perf_counter()
    await asyncio.gather(*(worker(get) for get in getters))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return requests / elapsed, latencies[len(latencies) // 2] * 1000


async def _compare(base_url: str, clients: int, requests: int) -> None:
    async def raw(count: int) -> list[Any]:
        return [KeepAliveClient(base_url).get for _ in range(count)]

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    shared = httpx.AsyncClient(base_url=base_url, limits=limits)

    async def pooled(count: int) -> list[Any]:
        return [shared.get] * count

    print(f"{'client':<28}{'clients':>8}{'requests/s':>12}{'p50 ms':>9}")
    for label, make in (("httpx.AsyncClient (pooled)", pooled), ("loadgen.KeepAliveClient", raw)):
        rate, p50 = await _rate_of(make, clients, requests)
        print(f"{label:<28}{clients:>8}{rate:>12.0f}{p50:>9.1f}")
    await shared.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", required=True)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=3000)
    arguments = parser.parse_args()
    from huleedu_service_libs.testing.processes import free_port, port_open

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", EMPTY_APP + f"\napp.run(host='127.0.0.1', port={port})"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not port_open(port):
            time.sleep(0.1)
        asyncio.run(_compare(f"http://127.0.0.1:{port}", arguments.clients, arguments.requests))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
