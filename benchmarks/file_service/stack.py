"""The service as the benchmark runs it: embedded servers, a migrated database, and the real API
and worker processes with their production settings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from measures import cpu_seconds

from huleedu_service_libs.testing.databases import run_alembic
from huleedu_service_libs.testing.embedded import EmbeddedKafka, EmbeddedPostgres, EmbeddedRedis
from huleedu_service_libs.testing.processes import free_port, port_open

ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIR = ROOT / "services" / "file_service"
DATABASE = "huleedu_file_service"


@dataclass
class Stack:
    dsn: str
    api: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    base_url: str
    worker_metrics: str
    servers: dict[str, int] = field(default_factory=dict)

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each process tree: the load this stack puts on the machine,
        whatever else runs on it."""
        pids = {"api": self.api.pid, "worker + pool": self.worker.pid, **self.servers}
        return {name: cpu_seconds(pid) for name, pid in pids.items()}


def _environment(
    database_url: str, redis_url: str, bootstrap: str, ports: dict[str, int]
) -> dict[str, str]:
    settings = {
        "DATABASE_URL": database_url,
        "REDIS_URL": f"{redis_url}/1",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",  # tansu has no InitProducerId
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(ports["api"]),
        "WORKER_METRICS_PORT": str(ports["metrics"]),
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "development",
    }
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("FILE_SERVICE_")
    }
    environment |= {f"FILE_SERVICE_{key}": value for key, value in settings.items()}
    return environment | {"PYTHONPATH": str(ROOT)}


def _spawn(module: str, environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", module], env=environment, stdout=output, stderr=subprocess.STDOUT
        )


def start_stack(
    workdir: Path, postgres: EmbeddedPostgres, redis: EmbeddedRedis, kafka: EmbeddedKafka
) -> Stack:
    dsn = postgres.admin_dsn.rsplit("/", 1)[0] + f"/{DATABASE}"
    asyncio.run(_create_database(postgres.admin_dsn))
    database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    run_alembic(SERVICE_DIR, database_url, "upgrade", "head")
    asyncio.run(_create_topics(kafka.bootstrap))
    ports = {"api": free_port(), "metrics": free_port()}
    environment = _environment(database_url, redis.url, kafka.bootstrap, ports)
    api = _spawn("services.file_service.app", environment, workdir / "api.log")
    worker = _spawn("services.file_service.worker_main", environment, workdir / "worker.log")
    for process, port in ((api, ports["api"]), (worker, ports["metrics"])):
        _wait_for_port(process, port, workdir)
    servers = {
        "postgres": postgres.server.pid,
        "redis": redis.server.pid,
        "kafka": kafka.server.pid,
    }
    return Stack(
        dsn,
        api,
        worker,
        f"http://127.0.0.1:{ports['api']}",
        f"http://127.0.0.1:{ports['metrics']}/metrics",
        servers,
    )


def _wait_for_port(process: subprocess.Popen[bytes], port: int, workdir: Path) -> None:
    deadline = time.monotonic() + 60
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"a service process did not start; see the logs in {workdir}")
        time.sleep(0.1)


async def _create_database(admin_dsn: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


async def _create_topics(bootstrap: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from common_core.events.registry import all_event_specs

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [NewTopic(spec.topic, 1, 1) for spec in all_event_specs()]
        await admin.create_topics(topics)
    finally:
        await admin.close()
