"""Credit consumption over HTTP: throughput and latency over 100 accounts and on one hot account.

    ./dev pdm run bench-entitlements [--requests 4000] [--clients 32] [--workers 1]
    ./dev pdm run bench-entitlements --tracing-compare [--requests N] [--runs 3] [--tracing-ratio 1]

Starts embedded PostgreSQL and Redis, migrates a fresh database with the service's Alembic chain,
runs the real HTTP service (Uvicorn, `--workers` processes) and charges it from concurrent
keep-alive clients (`benchmarks/loadgen.py`; an httpx pool saturates first on this machine).
Each scenario runs with one client and with N clients in the same run, so the single-client
figures are the baseline; a last row measures /healthz (no charge: a database
SELECT 1 and a Redis PING) as the server's floor. Afterwards every account's balance must equal
its ledger sum, no balance may be negative, and the ledger must hold exactly one consumption per
successful charge. Each row also says where a request's CPU went: milliseconds of CPU per
request in the service's processes, in PostgreSQL, in Redis and in the load generator (from
/proc, `benchmarks/process_cpu.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from benchmarks.entitlements.tracing_compare import (
    Copy,
    compare,
    print_charge_comparison,
    tracing_environment,
)
from benchmarks.loadgen import KeepAliveClient, run_clients
from benchmarks.process_cpu import cpu_between, sample
from benchmarks.tracing_sink import OtlpSink, otlp_sink
from huleedu_service_libs.testing.databases import run_alembic
from huleedu_service_libs.testing.embedded import EmbeddedPostgres, EmbeddedRedis
from huleedu_service_libs.testing.processes import free_port, port_open

ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIR = ROOT / "services" / "entitlements_service"
INTERNAL_KEY = "bench-internal-key-0123456789"
ADMIN_KEY = "bench-admin-key-0123456789"
ACCOUNTS = 100
GRANT = 10_000_000
CONSUME = "/internal/v1/entitlements/consume-credits"


@dataclass
class Outcome:
    label: str
    clients: int
    requests: int
    ok: int
    seconds: float
    latencies_ms: list[float]
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds

    def cpu_ms(self, name: str) -> float:
        return 1000 * self.cpu_seconds[name] / max(1, self.requests)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _charge_loop(
    client: KeepAliveClient, users: list[str], queue: asyncio.Queue[int], outcome: Outcome
) -> None:
    while True:
        try:
            index = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        started = time.perf_counter()
        if users:
            response = await client.post(CONSUME, json=_charge(users[index % len(users)]))
        else:  # the floor: /healthz (a database SELECT 1 and a Redis PING), no charge
            response = await client.get("/healthz")
        outcome.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code == 200:
            outcome.ok += 1
        else:
            print(f"  unexpected {response.status_code}: {response.text[:200]}", file=sys.stderr)


def _charge(user: str) -> dict[str, object]:
    return {
        "user_id": user,
        "metric": "cj_comparison",
        "quantity": 1,
        "idempotency_key": uuid.uuid4().hex,
    }


CPU_COLUMNS = ("service", "postgres", "redis", "client")


async def scenario(
    base_url: str,
    label: str,
    users: list[str],
    clients: int,
    requests: int,
    servers: dict[str, int] | None = None,
) -> Outcome:
    """`servers`: the process (tree root) of each of the service, PostgreSQL and Redis."""
    outcome = Outcome(label, clients, requests, 0, 0.0, [])
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(requests):
        queue.put_nowait(index)
    headers = {"X-Internal-API-Key": INTERNAL_KEY}
    before, client_before = sample(servers or {}), time.process_time()
    # One keep-alive connection per client: httpx's pool would be the bottleneck (loadgen.py).
    outcome.seconds = await run_clients(
        base_url, headers, clients, lambda client: _charge_loop(client, users, queue, outcome)
    )
    outcome.cpu_seconds = cpu_between(before, sample(servers or {}))
    outcome.cpu_seconds["client"] = time.process_time() - client_before
    return outcome


async def grant(base_url: str, users: list[str]) -> None:
    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-Admin-API-Key": ADMIN_KEY}
    ) as client:
        for user in users:
            response = await client.post(
                f"/admin/v1/entitlements/accounts/user/{user}/adjust",
                json={"delta": GRANT, "note": "benchmark"},
            )
            response.raise_for_status()


async def invariant_violations(dsn: str, expected_charges: int) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            """
            SELECT b.subject_type, b.subject_id, b.balance, b.held,
                   COALESCE(SUM(l.delta), 0) AS ledger,
                   COALESCE(SUM(l.held_delta), 0) AS held_ledger
            FROM credit_balances b
            LEFT JOIN credit_ledger l USING (subject_type, subject_id)
            GROUP BY b.subject_type, b.subject_id, b.balance, b.held
            """
        )
        charges = await connection.fetchval(
            "SELECT count(*) FROM credit_ledger WHERE reason = 'consumption'"
        )
    finally:
        await connection.close()
    problems = [
        f"{row['subject_type']}:{row['subject_id']} balance {row['balance']} "
        f"ledger {row['ledger']} held {row['held']}/{row['held_ledger']}"
        for row in rows
        if row["balance"] != row["ledger"]
        or row["held"] != row["held_ledger"]
        or row["balance"] < 0
    ]
    if charges != expected_charges:
        problems.append(f"{charges} consumption rows for {expected_charges} successful charges")
    return problems


def start_service(
    database_url: str,
    redis_url: str,
    port: int,
    logs: Path,
    workers: int,
    extra: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "ENTITLEMENTS_SERVICE_DATABASE_URL": database_url,
        "ENTITLEMENTS_SERVICE_REDIS_URL": redis_url + "/0",
        "ENTITLEMENTS_SERVICE_HTTP_HOST": "127.0.0.1",
        "ENTITLEMENTS_SERVICE_HTTP_PORT": str(port),
        "ENTITLEMENTS_SERVICE_INTERNAL_API_KEY": INTERNAL_KEY,
        "ENTITLEMENTS_SERVICE_ADMIN_API_KEY": ADMIN_KEY,
        "ENTITLEMENTS_SERVICE_LOG_LEVEL": "WARNING",
        "ENTITLEMENTS_SERVICE_DATABASE_POOL_SIZE": "20",
        "ENTITLEMENTS_SERVICE_HTTP_WORKERS": str(workers),
        "PYTHONPATH": str(ROOT),
    } | (extra or {})
    command = [sys.executable, "-m", "services.entitlements_service.app"]
    with logs.open("wb") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the service did not start; see {logs}")
        time.sleep(0.1)
    return process


def print_table(outcomes: list[Outcome]) -> None:
    cpu_header = "".join(f"{name:>9}" for name in CPU_COLUMNS)
    print(f"{'':<71}{'CPU ms per request':>{9 * len(CPU_COLUMNS)}}")
    print(
        f"{'scenario':<28}{'clients':>8}{'ok':>7}{'charges/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
        + cpu_header
    )
    for o in outcomes:
        cpu = "".join(f"{o.cpu_ms(name):>9.2f}" for name in CPU_COLUMNS)
        print(
            f"{o.label:<28}{o.clients:>8}{o.ok:>7}{o.throughput:>11.0f}"
            f"{o.percentile(0.5):>9.1f}{o.percentile(0.99):>9.1f}" + cpu
        )


async def measure(
    base_url: str, dsn: str, requests: int, clients: int, servers: dict[str, int]
) -> int:
    spread = [f"bench-{index}" for index in range(ACCOUNTS)]
    hot = ["bench-hot"]
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average before: {load} on {os.cpu_count()} cores")
    await grant(base_url, [*spread, *hot])
    await scenario(base_url, "warm-up", spread, 8, 300)
    single = max(200, requests // 8)
    outcomes = [
        await scenario(base_url, "100 accounts", spread, 1, single, servers),
        await scenario(base_url, "100 accounts", spread, clients, requests, servers),
        await scenario(base_url, "one hot account", hot, 1, single, servers),
        await scenario(base_url, "one hot account", hot, clients, requests, servers),
    ]
    floor = await scenario(base_url, "floor: GET /healthz", [], clients, requests, servers)
    print_table([*outcomes, floor])
    expected = 300 + sum(outcome.ok for outcome in outcomes)
    problems = await invariant_violations(dsn, expected)
    print("load average after: " + " ".join(f"{value:.1f}" for value in os.getloadavg()))
    print(f"invariant violations: {len(problems)}")
    for problem in problems[:20]:
        print("  " + problem)
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="HTTP server processes")
    parser.add_argument(
        "--tracing-compare",
        action="store_true",
        help="charges through an untraced and a traced copy of the service, side by side",
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="alternating rounds (--tracing-compare)"
    )
    parser.add_argument(
        "--tracing-ratio", type=float, default=None, help="default: production's default"
    )
    arguments = parser.parse_args()
    if arguments.tracing_compare:
        sys.exit(tracing_main(arguments))
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-bench-entitlements-"))
    postgres, redis = EmbeddedPostgres(workdir), EmbeddedRedis(workdir)
    service: subprocess.Popen[bytes] | None = None
    try:
        postgres.start()
        redis.start()
        dsn = postgres.admin_dsn
        asyncio.run(_create_database(dsn))
        bench_dsn = dsn.rsplit("/", 1)[0] + "/huleedu_entitlements"
        database_url = bench_dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        run_alembic(SERVICE_DIR, database_url, "upgrade", "head")
        port = free_port()
        service = start_service(
            database_url, redis.url, port, workdir / "service.log", arguments.workers
        )
        servers = {
            "service": service.pid,
            "postgres": postgres.server.pid,
            "redis": redis.server.pid,
        }
        code = asyncio.run(
            measure(
                f"http://127.0.0.1:{port}",
                bench_dsn,
                arguments.requests,
                arguments.clients,
                servers,
            )
        )
    except BaseException:
        log = workdir / "service.log"
        if log.exists():
            print(log.read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=15)
        redis.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(code)


def tracing_main(arguments: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-bench-entitlements-tracing-"))
    postgres, redis = EmbeddedPostgres(workdir), EmbeddedRedis(workdir)
    services: list[subprocess.Popen[bytes]] = []
    try:
        postgres.start()
        redis.start()
        dsn = postgres.admin_dsn
        asyncio.run(_create_database(dsn))
        database_url = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        database_url += "/huleedu_entitlements"
        run_alembic(SERVICE_DIR, database_url, "upgrade", "head")
        with otlp_sink() as sink:
            copies: dict[str, Copy] = {}
            traced = tracing_environment(sink, arguments.tracing_ratio)
            for name, extra in (("off", {}), ("on", traced)):
                port = free_port()
                log = workdir / f"service-{name}.log"
                services.append(
                    start_service(database_url, redis.url, port, log, arguments.workers, extra)
                )
                copies[name] = Copy(f"http://127.0.0.1:{port}", services[-1].pid)
            asyncio.run(_tracing_rounds(arguments, copies, sink))
        return 0
    finally:
        for service in services:
            service.terminate()
            service.wait(timeout=15)
        redis.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def _tracing_rounds(
    arguments: argparse.Namespace, copies: dict[str, Copy], sink: OtlpSink
) -> None:
    spread = [f"bench-{index}" for index in range(ACCOUNTS)]
    await grant(copies["off"].url, spread)
    for copy in copies.values():
        await scenario(copy.url, "warm-up", spread, 8, 300)
    rows = [
        await compare(
            scenario, copies, spread, 1, max(200, arguments.requests // 8), arguments.runs
        ),
        await compare(
            scenario, copies, spread, arguments.clients, arguments.requests, arguments.runs
        ),
    ]
    print_charge_comparison(rows, sink, arguments.runs, arguments.tracing_ratio)


async def _create_database(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute('CREATE DATABASE "huleedu_entitlements"')
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
