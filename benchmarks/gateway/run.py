"""What the API gateway adds to a read: GET /v1/classes/<id> through the gateway and directly.

    ./dev pdm run bench-gateway [--requests 3000] [--clients 1,8] [--rounds 3]

Starts embedded PostgreSQL and Redis, migrates a fresh class management database, runs the
real class management service (Uvicorn, one process, GATEWAY_IDENTITY_REQUIRED on) and the
real gateway (Uvicorn, one process) in front of it, and drives both from keep-alive clients on
the same machine (`benchmarks/loadgen.py`). Direct calls carry a signature the client computes
itself, so the service's own check is in both columns: the difference is the gateway's work
(bearer token verification, the Redis rate-limit round trip, signing, one more HTTP hop).
Direct and gateway runs alternate for `--rounds` rounds; the table shows each side's median
round and the added p50/p99 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from benchmarks.loadgen import KeepAliveClient, run_clients
from huleedu_service_libs.identity import signed_identity_headers
from huleedu_service_libs.testing.databases import run_alembic
from huleedu_service_libs.testing.embedded import EmbeddedPostgres, EmbeddedRedis
from huleedu_service_libs.testing.processes import free_port, port_open
from services.api_gateway_service.tokens import mint_development_token

ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIR = ROOT / "services" / "class_management_service"
DATABASE = "huleedu_class_management"
TEACHER = "bench-teacher"
SIGNING_SECRET = "bench-gateway-signing-secret"
TOKEN_SECRET = "bench-gateway-development-token-secret"
ISSUER, AUDIENCE = "huleedu-bench", "huleedu-api"
Headers = Callable[[str], Mapping[str, str]]


@dataclass
class Side:
    label: str
    rates: list[float]
    latencies: list[list[float]]

    def median_round(self) -> int:
        order = sorted(range(len(self.rates)), key=lambda index: self.rates[index])
        return order[len(order) // 2]

    def percentile(self, share: float) -> float:
        values = sorted(self.latencies[self.median_round()])
        return values[min(len(values) - 1, int(share * len(values)))] * 1000


async def drive(
    base_url: str, path: str, headers: Headers, clients: int, count: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    per_client = max(1, count // clients)

    async def work(client: KeepAliveClient) -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            reply = await client.get(path, headers=headers(path))
            latencies.append(time.perf_counter() - started)
            reply.raise_for_status()

    seconds = await run_clients(base_url, {}, clients, work)
    return len(latencies) / seconds, latencies


def direct_headers(path: str) -> Mapping[str, str]:
    return signed_identity_headers(
        SIGNING_SECRET, user_id=TEACHER, org_id=None, method="GET", path=path
    )


def gateway_headers(token: str) -> Headers:
    authorization = {"Authorization": f"Bearer {token}"}
    return lambda _path: authorization


async def create_class(service_url: str) -> str:
    async with KeepAliveClient(service_url) as client:
        path = "/v1/classes"
        reply = await client.post(
            path,
            json={"name": "bench", "course_codes": ["ENG5"]},
            headers=signed_identity_headers(
                SIGNING_SECRET, user_id=TEACHER, org_id=None, method="POST", path=path
            ),
        )
        reply.raise_for_status()
        return str(reply.json()["id"])


async def measure(service_url: str, gateway_url: str, arguments: argparse.Namespace) -> None:
    class_id = await create_class(service_url)
    path = f"/v1/classes/{class_id}"
    now = int(time.time())
    token = mint_development_token(
        TOKEN_SECRET,
        user_id=TEACHER,
        orgs=[],
        issuer=ISSUER,
        audience=AUDIENCE,
        lifetime_seconds=3600,
        now=now,
    )
    rows = []
    for clients in arguments.clients:
        direct = Side("direct", [], [])
        through = Side("gateway", [], [])
        await drive(gateway_url, path, gateway_headers(token), clients, 50)  # warm both
        await drive(service_url, path, direct_headers, clients, 50)
        for _ in range(arguments.rounds):
            for side, url, headers in (
                (direct, service_url, direct_headers),
                (through, gateway_url, gateway_headers(token)),
            ):
                rate, latencies = await drive(url, path, headers, clients, arguments.requests)
                side.rates.append(rate)
                side.latencies.append(latencies)
        rows.append((clients, direct, through))
    print_table(rows, arguments)


def print_table(rows: list[tuple[int, Side, Side]], arguments: argparse.Namespace) -> None:
    print(
        f"GET /v1/classes/<id>, {arguments.requests} requests per round, median of "
        f"{arguments.rounds} rounds (direct and gateway alternating)"
    )
    header = (
        "clients",
        "direct req/s",
        "gateway req/s",
        "direct p50",
        "gateway p50",
        "added p50",
        "direct p99",
        "gateway p99",
        "added p99",
    )
    print(" | ".join(header))
    for clients, direct, through in rows:
        d50, g50 = direct.percentile(0.5), through.percentile(0.5)
        d99, g99 = direct.percentile(0.99), through.percentile(0.99)
        cells = [
            str(clients),
            f"{statistics.median(direct.rates):.0f}",
            f"{statistics.median(through.rates):.0f}",
            f"{d50:.2f} ms",
            f"{g50:.2f} ms",
            f"{g50 - d50:+.2f} ms",
            f"{d99:.2f} ms",
            f"{g99:.2f} ms",
            f"{g99 - d99:+.2f} ms",
        ]
        print(" | ".join(cells))


def start(
    command: list[str], environment: dict[str, str], port: int, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=environment, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{command[-1]} did not start; see {log}")
        time.sleep(0.1)
    return process


def service_environment(database_url: str, redis_url: str, port: int) -> dict[str, str]:
    prefix = "CLASS_MANAGEMENT_SERVICE_"
    values = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url + "/0",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "testing",
        "GATEWAY_IDENTITY_REQUIRED": "true",
        "GATEWAY_SIGNING_SECRET": SIGNING_SECRET,
    }
    return {**os.environ, "PYTHONPATH": str(ROOT)} | {prefix + k: v for k, v in values.items()}


def gateway_environment(service_url: str, redis_url: str, port: int) -> dict[str, str]:
    prefix = "API_GATEWAY_SERVICE_"
    values = {
        "REDIS_URL": redis_url + "/4",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "testing",
        "CLASS_MANAGEMENT_URL": service_url,
        "GATEWAY_SIGNING_SECRET": SIGNING_SECRET,
        "JWT_DEVELOPMENT_SECRET": TOKEN_SECRET,
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "RATE_LIMIT_PER_MINUTE": "100000000",
    }
    return {**os.environ, "PYTHONPATH": str(ROOT)} | {prefix + k: v for k, v in values.items()}


async def _create_database(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="GETs per side per round")
    parser.add_argument(
        "--clients", type=lambda text: [int(v) for v in text.split(",")], default=[1, 8]
    )
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-bench-gateway-"))
    postgres, redis = EmbeddedPostgres(workdir), EmbeddedRedis(workdir)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        postgres.start()
        redis.start()
        asyncio.run(_create_database(postgres.admin_dsn))
        dsn = postgres.admin_dsn.rsplit("/", 1)[0] + f"/{DATABASE}"
        database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        run_alembic(SERVICE_DIR, database_url, "upgrade", "head")
        service_port, gateway_port = free_port(), free_port()
        service_url = f"http://127.0.0.1:{service_port}"
        processes.append(
            start(
                [sys.executable, "-m", "services.class_management_service.app"],
                service_environment(database_url, redis.url, service_port),
                service_port,
                workdir / "service.log",
            )
        )
        processes.append(
            start(
                [sys.executable, "-m", "services.api_gateway_service.app"],
                gateway_environment(service_url, redis.url, gateway_port),
                gateway_port,
                workdir / "gateway.log",
            )
        )
        asyncio.run(measure(service_url, f"http://127.0.0.1:{gateway_port}", arguments))
    except BaseException:
        for name in ("service.log", "gateway.log"):
            log = workdir / name
            if log.exists():
                print(f"--- {name}\n" + log.read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=15)
        redis.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
