"""PostgreSQL, Redis and Kafka for the stack: embedded servers kept in .stack/, or external URLs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from huleedu_service_libs.testing.embedded import EmbeddedKafka, EmbeddedPostgres, EmbeddedRedis

ENV_POSTGRES = "HULEEDU_STACK_POSTGRES_URL"
ENV_REDIS = "HULEEDU_STACK_REDIS_URL"
ENV_KAFKA = "HULEEDU_STACK_KAFKA_BOOTSTRAP"
ENV_KAFKA_IDEMPOTENCE = "HULEEDU_STACK_KAFKA_IDEMPOTENCE"
S = TypeVar("S", EmbeddedPostgres, EmbeddedRedis, EmbeddedKafka)


class InfrastructureError(RuntimeError):
    """The infrastructure could not be had; the message says why and what to do."""


@dataclass(frozen=True)
class Endpoints:
    postgres_url: str  # a server URL where the stack may create databases
    redis_url: str  # without a database number
    kafka_bootstrap: str
    kafka_idempotence: bool
    description: str


def external_endpoints() -> Endpoints:
    missing = [name for name in (ENV_POSTGRES, ENV_REDIS, ENV_KAFKA) if not os.environ.get(name)]
    if missing:
        raise InfrastructureError(
            "--external needs these environment variables: " + ", ".join(missing)
        )
    return Endpoints(
        postgres_url=os.environ[ENV_POSTGRES],
        redis_url=os.environ[ENV_REDIS].rstrip("/"),
        kafka_bootstrap=os.environ[ENV_KAFKA],
        kafka_idempotence=os.environ.get(ENV_KAFKA_IDEMPOTENCE, "true").lower() == "true",
        description="external servers from the environment",
    )


class PersistentRedis(EmbeddedRedis):
    """The embedded Redis with an append-only file in its directory, so data survives restarts."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.server.argv = [*self.server.argv, "--appendonly", "yes", "--save", "60 1"]


class EmbeddedInfrastructure:
    """Embedded PostgreSQL (data in .stack/postgres), Redis (.stack/redis) and Tansu (in memory)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.started: list[EmbeddedPostgres | EmbeddedRedis | EmbeddedKafka] = []

    def start(self) -> Endpoints:
        # Durable: the stack's data is kept across runs, so a crash must not lose or corrupt it.
        postgres = self._start(EmbeddedPostgres(self._dir("postgres"), durable=True))
        redis = self._start(PersistentRedis(self._dir("redis")))
        kafka = self._start(EmbeddedKafka(self._dir("kafka")))
        return Endpoints(
            postgres_url=postgres.admin_dsn,
            redis_url=redis.url,
            kafka_bootstrap=kafka.bootstrap,
            kafka_idempotence=False,  # Tansu has no InitProducerId
            description="embedded PostgreSQL, Redis and Kafka (tansu, in memory)",
        )

    def stop(self) -> None:
        while self.started:
            self.started.pop().stop()

    def _dir(self, name: str) -> Path:
        path = self.data_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _start(self, server: S) -> S:
        self.started.append(server)
        server.start()
        return server
