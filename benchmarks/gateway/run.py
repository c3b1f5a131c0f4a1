"""What the API gateway adds to a read: GET /v1/classes/<id> through the gateway and directly.

    ./dev pdm run bench-gateway [--requests 1000] [--clients 1,8] [--rounds 5] [--baseline REF]

Starts embedded PostgreSQL and Redis, migrates a fresh class management database, runs the
real class management service (Uvicorn, one process, GATEWAY_IDENTITY_REQUIRED on) and the
real gateway (Uvicorn, one process) in front of it, and drives both from the same keep-alive
client on the same machine (`benchmarks/loadgen.py`). Direct calls carry a signature the client
computes itself, so the service's own check is in both columns: the difference is the gateway's
work (bearer token verification, the Redis rate-limit round trip, signing, one more HTTP hop).
How each figure is taken (interleaved pairs for latency, alternating blocks for throughput and
CPU): `benchmarks/gateway/measure.py`.
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
from collections.abc import Mapping
from pathlib import Path

import asyncpg

from benchmarks.gateway.measure import (
    LATENCY_HEADER,
    THROUGHPUT_HEADER,
    Headers,
    Side,
    latency_round,
    latency_rows,
    table,
    throughput_round,
    throughput_rows,
)
from benchmarks.loadgen import KeepAliveClient
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


def direct_headers(path: str) -> Headers:
    return lambda: signed_identity_headers(
        SIGNING_SECRET, user_id=TEACHER, org_id=None, method="GET", path=path
    )


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


def development_token() -> str:
    return mint_development_token(
        TOKEN_SECRET,
        user_id=TEACHER,
        orgs=[],
        issuer=ISSUER,
        audience=AUDIENCE,
        lifetime_seconds=3600,
        now=int(time.time()),
    )


async def measure(
    urls: Mapping[str, str], pids: Mapping[str, int], arguments: argparse.Namespace
) -> None:
    path = f"/v1/classes/{await create_class(urls['service'])}"
    authorization = {"Authorization": f"Bearer {development_token()}"}
    load_before = os.getloadavg()[0]
    latency, throughput = [], []
    for clients in arguments.clients:
        sides = [Side("direct", urls["service"], direct_headers(path))]
        sides.append(Side("gateway", urls["gateway"], lambda: authorization, "gateway"))
        if "baseline" in urls:
            label = f"gateway at {arguments.baseline}"
            sides.append(Side(label, urls["baseline"], lambda: authorization, "baseline"))
        await latency_round(path, sides, clients, 100)  # warm every connection and cache
        for side in sides:
            side.rounds, side.added = [], []
        for number in range(arguments.rounds):
            await latency_round(path, sides, clients, arguments.requests)
            await throughput_round(path, sides, pids, clients, arguments.requests, number)
        latency += latency_rows(clients, sides)
        throughput += throughput_rows(clients, sides)
    print(
        f"GET /v1/classes/<id>, {arguments.requests} requests per side per round, "
        f"{arguments.rounds} rounds; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs"
    )
    print("\nLatency (each client's turns rotate over one keep-alive connection per side):")
    print(table(LATENCY_HEADER, latency))
    print("\nThroughput and CPU (one block per side, order rotating each round; medians):")
    print(table(THROUGHPUT_HEADER, throughput))


def baseline_tree(ref: str, workdir: Path) -> Path:
    """The gateway's code at `ref` (git archive: the working tree is not touched)."""
    target = workdir / "baseline"
    target.mkdir()
    archive = subprocess.run(
        ["git", "archive", ref, "services/__init__.py", "services/api_gateway_service"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def start(
    command: list[str], environment: dict[str, str], port: int, log: Path, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=environment, stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )
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


def gateway_environment(
    service_url: str, redis_url: str, port: int, code: Path = ROOT
) -> dict[str, str]:
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
    path = str(code) if code == ROOT else f"{code}:{ROOT}"
    return {**os.environ, "PYTHONPATH": path} | {prefix + k: v for k, v in values.items()}


async def _create_database(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="GETs per side per round")
    parser.add_argument(
        "--clients", type=lambda text: [int(v) for v in text.split(",")], default=[1, 8]
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--baseline", help="a git ref: its gateway runs beside this one, measured the same way"
    )
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
        service_port = free_port()
        service_url = f"http://127.0.0.1:{service_port}"
        processes.append(
            start(
                [sys.executable, "-m", "services.class_management_service.app"],
                service_environment(database_url, redis.url, service_port),
                service_port,
                workdir / "service.log",
            )
        )
        urls, pids = {"service": service_url}, {"service": processes[0].pid}
        gateways = {"gateway": ROOT}
        if arguments.baseline:
            gateways["baseline"] = baseline_tree(arguments.baseline, workdir)
        for name, code in gateways.items():
            port = free_port()
            environment = gateway_environment(service_url, redis.url, port, code)
            command = [sys.executable, "-m", "services.api_gateway_service.app"]
            # Run from the code's own directory: `python -m` puts the working directory first.
            process = start(command, environment, port, workdir / f"{name}.log", cwd=code)
            processes.append(process)
            urls[name], pids[name] = f"http://127.0.0.1:{port}", process.pid
        asyncio.run(measure(urls, pids, arguments))
    except BaseException:
        for name in ("service.log", "gateway.log", "baseline.log"):
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
