"""Finding a real server for each kind the tests need.

Order, per kind: an explicit URL from the environment; a testcontainers container when a Docker
engine answers; an embedded server from a PyPI wheel. Servers start lazily, the first time a test
asks for one, and are stopped by `ServerPool.stop_all` at the end of the run.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from huleedu_service_libs.testing.embedded import (
    EmbeddedKafka,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServerUnavailable,
)

ENV_DATABASE_URL = "HULEEDU_TEST_DATABASE_URL"
ENV_REDIS_URL = "HULEEDU_TEST_REDIS_URL"
ENV_KAFKA_BOOTSTRAP = "HULEEDU_TEST_KAFKA_BOOTSTRAP"
ENV_USE_DOCKER = "HULEEDU_TEST_DOCKER"  # "0" skips the Docker probe
ENV_USE_EMBEDDED = "HULEEDU_TEST_EMBEDDED"  # "0" never starts embedded servers

T = TypeVar("T")
S = TypeVar("S", EmbeddedPostgres, EmbeddedRedis, EmbeddedKafka)


class Source(StrEnum):
    ENVIRONMENT = "environment"
    DOCKER = "docker"
    EMBEDDED = "embedded"


class NoServerAvailable(RuntimeError):
    """No way to get a server of some kind; the message says what was tried."""


@dataclass(frozen=True)
class PostgresEndpoint:
    admin_dsn: str  # plain libpq URL of a database we may CREATE DATABASE from
    source: Source

    def url(self, database: str, driver: str = "asyncpg") -> str:
        parts = urlsplit(self.admin_dsn)
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return urlunsplit((scheme, parts.netloc, f"/{database}", parts.query, ""))


@dataclass(frozen=True)
class RedisEndpoint:
    url: str  # without a database number
    source: Source


@dataclass(frozen=True)
class KafkaEndpoint:
    bootstrap: str
    source: Source
    supports_idempotence: bool


@functools.cache
def docker_available() -> bool:
    if os.environ.get(ENV_USE_DOCKER) == "0":
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # any failure means "no usable engine"; the reason is not needed
        return False
    return True


def plain_postgres_dsn(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path or "/postgres", parts.query, ""))


def redis_base_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


class ServerPool:
    """Starts each kind of server once per process and stops everything it started."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._stoppers: list[Callable[[], Any]] = []
        self._processes: list[EmbeddedPostgres | EmbeddedRedis | EmbeddedKafka] = []
        self._failures: list[str] = []

    def postgres(self) -> PostgresEndpoint:
        if url := os.environ.get(ENV_DATABASE_URL):
            return PostgresEndpoint(plain_postgres_dsn(url), Source.ENVIRONMENT)
        return self._first_of(
            "PostgreSQL", ENV_DATABASE_URL, self._docker_postgres, self._embedded_postgres
        )

    def redis(self) -> RedisEndpoint:
        if url := os.environ.get(ENV_REDIS_URL):
            return RedisEndpoint(redis_base_url(url), Source.ENVIRONMENT)
        return self._first_of("Redis", ENV_REDIS_URL, self._docker_redis, self._embedded_redis)

    def kafka(self) -> KafkaEndpoint:
        if bootstrap := os.environ.get(ENV_KAFKA_BOOTSTRAP):
            return KafkaEndpoint(bootstrap, Source.ENVIRONMENT, supports_idempotence=True)
        return self._first_of(
            "Kafka", ENV_KAFKA_BOOTSTRAP, self._docker_kafka, self._embedded_kafka
        )

    def new_private_redis(self) -> EmbeddedRedis:
        return self._started(EmbeddedRedis(self.workdir))

    def embedded_pids(self) -> list[int]:
        return [server.server.pid for server in self._processes if server.server.alive()]

    def stop_all(self) -> None:
        while self._stoppers:
            self._stoppers.pop()()

    def _first_of(self, kind: str, env: str, *attempts: Callable[[], T | None]) -> T:
        tried: list[str] = [f"${env} is not set"]
        for attempt in attempts:
            try:
                endpoint = attempt()
            except Exception as error:  # report every reason, then fail loudly
                tried.append(f"{attempt.__name__.strip('_')}: {error}")
                continue
            if endpoint is not None:
                return endpoint
            tried.append(f"{attempt.__name__.strip('_')}: not available")
        raise NoServerAvailable(
            f"no {kind} server for the tests. Tried:\n  - " + "\n  - ".join(tried)
        )

    def _docker_postgres(self) -> PostgresEndpoint | None:
        if not docker_available():
            return None
        from testcontainers.postgres import PostgresContainer

        container = self._keep(PostgresContainer("postgres:15", driver=None).start())
        return PostgresEndpoint(plain_postgres_dsn(container.get_connection_url()), Source.DOCKER)

    def _docker_redis(self) -> RedisEndpoint | None:
        if not docker_available():
            return None
        from testcontainers.redis import RedisContainer

        container = self._keep(RedisContainer("redis:7").start())
        host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
        return RedisEndpoint(f"redis://{host}:{port}", Source.DOCKER)

    def _docker_kafka(self) -> KafkaEndpoint | None:
        if not docker_available():
            return None
        from testcontainers.kafka import KafkaContainer

        container = self._keep(KafkaContainer("apache/kafka:3.9.1").with_kraft().start())
        return KafkaEndpoint(container.get_bootstrap_server(), Source.DOCKER, True)

    def _embedded_postgres(self) -> PostgresEndpoint:
        server = self._started(EmbeddedPostgres(self.workdir))
        return PostgresEndpoint(server.admin_dsn, Source.EMBEDDED)

    def _embedded_redis(self) -> RedisEndpoint:
        server = self._started(EmbeddedRedis(self.workdir))
        return RedisEndpoint(server.url, Source.EMBEDDED)

    def _embedded_kafka(self) -> KafkaEndpoint:
        server = self._started(EmbeddedKafka(self.workdir))
        return KafkaEndpoint(server.bootstrap, Source.EMBEDDED, supports_idempotence=False)

    def _started(self, server: S) -> S:
        if os.environ.get(ENV_USE_EMBEDDED) == "0":
            raise EmbeddedServerUnavailable(
                f"embedded servers are disabled by ${ENV_USE_EMBEDDED}=0"
            )
        self._stoppers.append(server.stop)
        self._processes.append(server)
        server.start()
        return server

    def _keep(self, container: Any) -> Any:
        self._stoppers.append(container.stop)
        return container
