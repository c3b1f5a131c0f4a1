"""Roster import and class reads over HTTP, on the local stack.

    ./dev pdm run bench-class-management [--roster 5000] [--imports 3] [--singles 1000]
                                         [--reads 4000]

Starts embedded PostgreSQL and Redis, migrates a fresh database with the service's Alembic
chain, runs the real HTTP service (Uvicorn, one process) and drives it from keep-alive clients
on the same machine (`benchmarks/loadgen.py`, one connection each; an httpx pool saturates
first here). Side by side in one run:
- roster import: one CSV of N new students per request (each student with its roster
  membership and its StudentCreatedV1 in the outbox, in one transaction), and the same file
  imported again (must change nothing);
- the baseline: the same kind of students created one by one with POST /v1/classes/students,
  with 1 and with 8 clients;
- GET /v1/classes/<id> with 8 and 32 concurrent clients, beside GET /healthz (one SELECT 1) at
  the same concurrency.
Afterwards every created student must have exactly one StudentCreatedV1 row in event_outbox.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from benchmarks.loadgen import KeepAliveClient, Reply, run_clients
from huleedu_service_libs.testing.databases import run_alembic
from huleedu_service_libs.testing.embedded import EmbeddedPostgres, EmbeddedRedis
from huleedu_service_libs.testing.processes import free_port, port_open

ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIR = ROOT / "services" / "class_management_service"
DATABASE = "huleedu_class_management"
TEACHER = {"X-User-ID": "bench-teacher"}
HEALTH = ("GET /healthz (SELECT 1)", "/healthz")
Send = Callable[[KeepAliveClient, int], Awaitable[Reply]]


def _proc_stat(pid: str) -> tuple[int, float] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return int(fields[1]), ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """CPU used so far by a process and all its descendants (Linux /proc)."""
    stats = {int(pid): _proc_stat(pid) for pid in os.listdir("/proc") if pid.isdigit()}
    children: dict[int, list[int]] = {}
    for pid, stat in stats.items():
        if stat is not None:
            children.setdefault(stat[0], []).append(pid)
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        stat = stats.get(pid)
        total += stat[1] if stat is not None else 0.0
        pending.extend(children.get(pid, []))
    return total


@dataclass
class Meters:
    """CPU of the service's and PostgreSQL's process trees, to report per item: unlike wall
    time, it hardly moves with the other load on a shared machine."""

    service_pid: int
    postgres_pid: int

    def read(self) -> tuple[float, float]:
        return tree_cpu_seconds(self.service_pid), tree_cpu_seconds(self.postgres_pid)


@dataclass
class Outcome:
    label: str
    clients: int
    items: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    service_cpu: float = 0.0
    postgres_cpu: float = 0.0

    def add_cpu(self, before: tuple[float, float], after: tuple[float, float]) -> None:
        self.service_cpu += after[0] - before[0]
        self.postgres_cpu += after[1] - before[1]

    def cpu_ms_per_item(self, seconds: float) -> float:
        return 1000 * seconds / self.items if self.items else 0.0

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def roster_csv(count: int, tag: str) -> bytes:
    lines = ["first_name,last_name,email"]
    lines += [f"Student{i},Bench,s{i}.{tag}@bench.example" for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


async def new_class(client: httpx.AsyncClient, name: str) -> str:
    response = await client.post("/v1/classes", json={"name": name, "course_codes": ["ENG5"]})
    response.raise_for_status()
    return str(response.json()["id"])


async def import_roster(
    client: httpx.AsyncClient, class_id: str, data: bytes
) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    response = await client.post(
        f"/v1/classes/{class_id}/students/import",
        content=data,
        headers={"Content-Type": "text/csv"},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()["summary"]


async def imports(
    client: httpx.AsyncClient, meters: Meters, roster: int, runs: int
) -> tuple[Outcome, Outcome]:
    first = Outcome(f"import {roster} new", 1)
    again = Outcome(f"re-import {roster} (no-op)", 1)
    for run in range(runs):
        class_id = await new_class(client, f"import-{run}")
        data = roster_csv(roster, uuid.uuid4().hex[:8])
        for outcome, expected in ((first, "created"), (again, "already_present")):
            before = meters.read()
            seconds, summary = await import_roster(client, class_id, data)
            assert summary[expected] == roster, summary
            outcome.add_cpu(before, meters.read())
            outcome.items, outcome.seconds = outcome.items + roster, outcome.seconds + seconds
            outcome.latencies_ms.append(seconds * 1000)
    return first, again


async def _worker(
    client: KeepAliveClient, queue: asyncio.Queue[int], send: Send, outcome: Outcome
) -> None:
    while True:
        try:
            index = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        started = time.perf_counter()
        response = await send(client, index)
        outcome.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.is_success:
            outcome.items += 1
        else:
            print(f"  unexpected {response.status_code}: {response.text[:200]}", file=sys.stderr)


async def metered(meters: Meters, scenario: Awaitable[Outcome]) -> Outcome:
    before = meters.read()
    outcome = await scenario
    outcome.add_cpu(before, meters.read())
    return outcome


async def concurrent(base_url: str, label: str, clients: int, count: int, send: Send) -> Outcome:
    outcome = Outcome(label, clients)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)
    # One keep-alive connection per client: httpx's pool would be the bottleneck (loadgen.py).
    outcome.seconds = await run_clients(
        base_url, TEACHER, clients, lambda client: _worker(client, queue, send, outcome)
    )
    return outcome


def one_by_one(class_id: str, tag: str) -> Send:
    async def send(client: KeepAliveClient, index: int) -> Reply:
        body = {
            "first_name": f"Student{index}",
            "last_name": "Single",
            "email": f"single{index}.{tag}@bench.example",
            "class_ids": [class_id],
        }
        return await client.post("/v1/classes/students", json=body)

    return send


def get(path: str) -> Send:
    async def send(client: KeepAliveClient, index: int) -> Reply:
        return await client.get(path)

    return send


async def measure(base_url: str, dsn: str, meters: Meters, sizes: argparse.Namespace) -> int:
    print(f"load average before: {_load()} (this machine: {os.cpu_count()} cores, shared)")
    outcomes: list[Outcome] = []
    async with httpx.AsyncClient(base_url=base_url, headers=TEACHER, timeout=120) as client:
        warm = await new_class(client, "warm-up")
        await import_roster(client, warm, roster_csv(200, "warm"))
        outcomes += await imports(client, meters, sizes.roster, sizes.imports)
        class_id = await new_class(client, "singles")
    for clients in (1, 8):
        send = one_by_one(class_id, f"c{clients}")
        label = "POST /students one by one"
        scenario = concurrent(base_url, label, clients, sizes.singles, send)
        outcomes.append(await metered(meters, scenario))
    await concurrent(base_url, "warm-up", 8, 500, get(f"/v1/classes/{class_id}"))
    for clients in (8, 32):
        for label, path in (("GET /v1/classes/<id>", f"/v1/classes/{class_id}"), HEALTH):
            scenario = concurrent(base_url, label, clients, sizes.reads, get(path))
            outcomes.append(await metered(meters, scenario))
    print_table(outcomes)
    print(f"load average after: {_load()}")
    problems = await check_outbox(dsn)
    print(f"students without exactly one StudentCreatedV1 in the outbox: {problems}")
    return 1 if problems else 0


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


async def check_outbox(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval(
                """
                SELECT count(*) FROM students s
                WHERE (SELECT count(*) FROM event_outbox o
                       WHERE o.topic = 'huleedu.class_management.student.created.v1'
                         AND o.aggregate_id = s.id::text) <> 1
                """
            )
        )
    finally:
        await connection.close()


def print_table(outcomes: list[Outcome]) -> None:
    columns = ("clients", "items", "items/s", "p50 ms", "p95 ms", "p99 ms", "svc cpu", "pg cpu")
    widths = (8, 8, 10, 9, 9, 9, 9, 9)
    print(f"{'scenario':<30}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for o in outcomes:
        print(
            f"{o.label:<30}{o.clients:>8}{o.items:>8}{o.per_second:>10.0f}"
            f"{o.percentile(0.5):>9.1f}{o.percentile(0.95):>9.1f}{o.percentile(0.99):>9.1f}"
            f"{o.cpu_ms_per_item(o.service_cpu):>9.3f}{o.cpu_ms_per_item(o.postgres_cpu):>9.3f}"
        )
    print("svc cpu / pg cpu: CPU milliseconds per item of the service's and PostgreSQL's processes")


def start_service(
    database_url: str, redis_url: str, port: int, logs: Path, workers: int
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "CLASS_MANAGEMENT_SERVICE_DATABASE_URL": database_url,
        "CLASS_MANAGEMENT_SERVICE_REDIS_URL": redis_url + "/0",
        "CLASS_MANAGEMENT_SERVICE_HTTP_HOST": "127.0.0.1",
        "CLASS_MANAGEMENT_SERVICE_HTTP_PORT": str(port),
        "CLASS_MANAGEMENT_SERVICE_HTTP_WORKERS": str(workers),
        "CLASS_MANAGEMENT_SERVICE_LOG_LEVEL": "WARNING",
        "CLASS_MANAGEMENT_SERVICE_ENVIRONMENT": "testing",
        "PYTHONPATH": str(ROOT),
    }
    # As deployed (docker-compose.services.yml): the service's own HTTP entry (Uvicorn).
    command = [sys.executable, "-m", "services.class_management_service.app"]
    with logs.open("wb") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the service did not start; see {logs}")
        time.sleep(0.1)
    return process


async def _create_database(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--roster", type=int, default=5000, help="students per imported file")
    parser.add_argument("--imports", type=int, default=3, help="files imported (median of)")
    parser.add_argument("--singles", type=int, default=1000, help="one-by-one creations")
    parser.add_argument("--reads", type=int, default=4000, help="GETs per read scenario")
    parser.add_argument("--workers", type=int, default=1, help="HTTP server processes")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-bench-class-management-"))
    postgres, redis = EmbeddedPostgres(workdir), EmbeddedRedis(workdir)
    service: subprocess.Popen[bytes] | None = None
    try:
        postgres.start()
        redis.start()
        asyncio.run(_create_database(postgres.admin_dsn))
        dsn = postgres.admin_dsn.rsplit("/", 1)[0] + f"/{DATABASE}"
        database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        run_alembic(SERVICE_DIR, database_url, "upgrade", "head")
        port = free_port()
        logs = workdir / "service.log"
        service = start_service(database_url, redis.url, port, logs, arguments.workers)
        meters = Meters(service.pid, postgres.server.pid)
        code = asyncio.run(measure(f"http://127.0.0.1:{port}", dsn, meters, arguments))
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


if __name__ == "__main__":
    main()
