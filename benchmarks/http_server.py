"""The HTTP server under the services' app skeleton: Uvicorn (httptools, uvloop) beside Hypercorn.

    ./dev pdm run bench-http-server [--runs 3] [--requests 6000]

Serves two apps with each server, one process each, and drives them from keep-alive clients on
the same machine (`benchmarks/loadgen.py`):
- an empty Quart route (`GET /ping`);
- the same route inside the services' skeleton (`create_service_app`: correlation, metrics,
  access line, error handlers, Dishka), with no database work.
Hypercorn with h11 on asyncio is the baseline (the services' server before); Uvicorn with h11 on
asyncio separates the parser and loop from the server. Printed per server and app: requests/s,
p50 and p95 latency with 8 and 32 clients, and the server's CPU milliseconds per request (from
/proc, which the load generator's own CPU does not enter). Medians of `--runs` interleaved runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.loadgen import KeepAliveClient, run_clients
from huleedu_service_libs.testing.processes import free_port, port_open

ROOT = Path(__file__).resolve().parents[1]
APPS = {
    "empty Quart route": "benchmarks.http_server_apps:empty_app",
    "service skeleton": "benchmarks.http_server_apps:skeleton_app",
}
SERVERS = {
    "Hypercorn (h11, asyncio)": "hypercorn",
    "Uvicorn (h11, asyncio)": "uvicorn-h11",
    "Uvicorn (httptools, uvloop)": "uvicorn",
}
SERVE = """
import asyncio, importlib, sys
kind, target, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
module, _, name = target.partition(":")
app = getattr(importlib.import_module(module), name)()
if kind == "hypercorn":
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = config.errorlog = None
    asyncio.run(serve(app, config))
else:
    import uvicorn
    http, loop = ("h11", "asyncio") if kind == "uvicorn-h11" else ("httptools", "uvloop")
    uvicorn.run(app, host="127.0.0.1", port=port, http=http, loop=loop, log_level="warning",
                access_log=False, lifespan="on")
"""


@dataclass
class Result:
    rate: float
    p50_ms: float
    p95_ms: float
    cpu_ms: float


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(port: int, clients: int, requests: int) -> tuple[float, list[float]]:
    remaining, latencies = [requests], []

    async def work(client: KeepAliveClient) -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            reply = await client.get("/ping")
            latencies.append((time.perf_counter() - started) * 1000)
            reply.raise_for_status()

    seconds = await run_clients(f"http://127.0.0.1:{port}", {}, clients, work)
    return seconds, sorted(latencies)


def measure(server: str, app: str, clients: int, requests: int) -> Result:
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", SERVE, server, app, str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not port_open(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{server} did not start {app}")
            time.sleep(0.05)
        asyncio.run(drive(port, clients, 500))  # warm-up
        before = cpu_seconds(process.pid)
        seconds, latencies = asyncio.run(drive(port, clients, requests))
        cpu = cpu_seconds(process.pid) - before
    finally:
        process.terminate()
        process.wait(timeout=15)
    return Result(
        rate=requests / seconds,
        p50_ms=latencies[len(latencies) // 2],
        p95_ms=latencies[int(len(latencies) * 0.95)],
        cpu_ms=cpu / requests * 1000,
    )


def median_result(results: list[Result]) -> Result:
    return Result(
        rate=statistics.median(r.rate for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p95_ms=statistics.median(r.p95_ms for r in results),
        cpu_ms=statistics.median(r.cpu_ms for r in results),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=6000)
    arguments = parser.parse_args()
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average before: {load} on {os.cpu_count()} cores")
    cases = [(s, a, c) for a in APPS for c in (8, 32) for s in SERVERS]
    runs: dict[tuple[str, str, int], list[Result]] = {case: [] for case in cases}
    for _ in range(arguments.runs):  # interleaved, so a slow spell hits every server alike
        for server, app, clients in cases:
            result = measure(SERVERS[server], APPS[app], clients, arguments.requests)
            runs[(server, app, clients)].append(result)
    print(
        f"{'app':<19}{'server':<29}{'clients':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'cpu ms/req':>11}"
    )
    for server, app, clients in cases:
        r = median_result(runs[(server, app, clients)])
        print(
            f"{app:<19}{server:<29}{clients:>8}{r.rate:>8.0f}{r.p50_ms:>8.2f}{r.p95_ms:>8.2f}"
            f"{r.cpu_ms:>11.3f}"
        )
    print(f"(median of {arguments.runs} interleaved runs of {arguments.requests} requests)")


if __name__ == "__main__":
    main()
