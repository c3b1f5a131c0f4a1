"""The stack's life: infrastructure, databases, migrations, topics, services, health, shutdown."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from huleedu_service_libs.testing.embedded import EmbeddedServerUnavailable
from huleedu_service_libs.testing.processes import ServerStartError, free_port
from scripts.create_topics import BrokerUnavailable, create_topics
from scripts.database_urls import ensure_database
from scripts.migrate_all import run_chain
from scripts.platform_services import GATEWAY, SERVICES, ServiceSpec
from scripts.stack_runner.children import Child, Console
from scripts.stack_runner.health import StackError, wait_healthy
from scripts.stack_runner.infrastructure import (
    EmbeddedInfrastructure,
    Endpoints,
    InfrastructureError,
    external_endpoints,
)
from scripts.stack_runner.prometheus import (
    TARGETS_FILE,
    gateway_target,
    metrics_targets,
    write_targets,
)
from scripts.stack_runner.services import (
    Plan,
    child_specs,
    gateway_child_spec,
    gateway_environment,
    plan_services,
    port_taken,
    service_environment,
)

STACK_FILE = "stack.json"


@dataclass
class StackOptions:
    data_dir: Path
    fresh: bool = False
    external: bool = False
    ports: dict[str, int] = field(default_factory=lambda: {s.name: s.port for s in SERVICES})
    isolate_ports: bool = False  # other listening ports of a service (metrics) on free ports
    start_timeout: float = 120.0
    topic_partitions: int = 3
    otlp_endpoint: str | None = None  # every API and worker traces there (OTLP/HTTP base URL)
    log_format: str | None = None  # the children's <PREFIX>LOG_FORMAT (None: their default)

    def resolved_gateway_port(self) -> int:
        """`ports["api_gateway_service"]`; unset: 8080, or a free port with isolate_ports."""
        if GATEWAY.name not in self.ports:
            self.ports[GATEWAY.name] = free_port() if self.isolate_ports else GATEWAY.port
        return self.ports[GATEWAY.name]


@dataclass
class RunningService:
    spec: ServiceSpec
    port: int
    children: list[Child]
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Stack:
    def __init__(self, options: StackOptions, console: Console) -> None:
        self.options = options
        self.console = console
        self.plan: Plan = plan_services()
        self.endpoints: Endpoints | None = None
        self.services: list[RunningService] = []
        self.gateway: Child | None = None
        self._infrastructure = EmbeddedInfrastructure(options.data_dir)

    async def start(self) -> float:
        started = time.perf_counter()
        self._check_plan()
        self._start_infrastructure()
        endpoints = self._require_endpoints()
        await self._prepare_databases(endpoints)
        await self._create_topics(endpoints)
        await self._start_services(endpoints)
        await self._wait_healthy()
        self._write_description(endpoints)
        return time.perf_counter() - started

    @property
    def infrastructure(self) -> EmbeddedInfrastructure:
        return self._infrastructure

    def child(self, label: str) -> Child:
        """A service process by its log label, e.g. "cj_assessment worker"."""
        for child in self._children():
            if child.spec.label == label:
                return child
        raise KeyError(label)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.options.resolved_gateway_port()}"

    def _children(self) -> list[Child]:
        children = [child for service in self.services for child in service.children]
        return children + ([self.gateway] if self.gateway is not None else [])

    @property
    def description_path(self) -> Path:
        return self.options.data_dir / STACK_FILE

    @property
    def targets_path(self) -> Path:
        return self.options.data_dir / TARGETS_FILE

    def _write_description(self, endpoints: Endpoints) -> None:
        """Where everything runs, for `pdm run demo` and other tools (removed on stop)."""
        description = {
            "services": {s.spec.name: s.base_url for s in self.services},
            "gateway": self.gateway_url,
            "missing": self.plan.missing,
            "kafka_bootstrap": endpoints.kafka_bootstrap,
            "redis_url": endpoints.redis_url,
            "prometheus_targets": str(self.targets_path),
        }
        self.description_path.write_text(json.dumps(description, indent=2))
        processes = [(s.spec, s.port, s.environment, len(s.children) > 1) for s in self.services]
        targets = metrics_targets(processes)
        if self.gateway is not None:
            targets.append(gateway_target(GATEWAY.name, self.options.resolved_gateway_port()))
        write_targets(self.targets_path, targets)

    async def stop(self) -> None:
        self.description_path.unlink(missing_ok=True)
        self.targets_path.unlink(missing_ok=True)
        await asyncio.gather(*(child.stop() for child in self._children()))
        self._infrastructure.stop()

    async def wait_for_exit(self, stop: asyncio.Event) -> Child | None:
        """Block until `stop` is set (None) or a service process exits (that child)."""
        children = self._children()
        waits = {asyncio.create_task(child.wait()): child for child in children}
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopped, *waits], return_when=asyncio.FIRST_COMPLETED)
        for task in [stopped, *waits]:
            task.cancel()
        return None if stopped in done else next(waits[task] for task in done if task in waits)

    def _check_plan(self) -> None:
        for name, parts in self.plan.missing.items():
            self.console.info(f"{name}: missing {', '.join(parts)}")
        if not self.plan.runnable:
            raise StackError("no service can start yet (see the missing files above)")
        taken = [spec for spec in self.plan.runnable if port_taken(self._port(spec))]
        gateway_port = self.options.resolved_gateway_port()
        if port_taken(gateway_port):
            raise StackError(f"port {gateway_port} (the API gateway) is already in use")
        if taken:
            raise StackError(
                "port(s) already in use: "
                + ", ".join(f"{self._port(spec)} ({spec.name})" for spec in taken)
                + ". Is another stack running? Stop it (Ctrl-C there) or free the port."
            )

    def _start_infrastructure(self) -> None:
        if self.options.fresh and self.options.data_dir.exists():
            shutil.rmtree(self.options.data_dir)
        self.options.data_dir.mkdir(parents=True, exist_ok=True)
        if self.options.external:
            self.endpoints = external_endpoints()
            return
        try:
            self.endpoints = self._infrastructure.start()
        except (ServerStartError, EmbeddedServerUnavailable) as error:
            raise StackError(
                f"an embedded server failed to start:\n{error}\n"
                f"(another stack using {self.options.data_dir}? `--fresh` starts from empty data)"
            ) from None

    def _require_endpoints(self) -> Endpoints:
        if self.endpoints is None:
            raise InfrastructureError("no infrastructure")
        self.console.info(f"infrastructure: {self.endpoints.description}")
        return self.endpoints

    async def _prepare_databases(self, endpoints: Endpoints) -> None:
        for spec in self.plan.runnable:
            await _ensure_database_when_ready(endpoints.postgres_url, spec.database)
        self.console.info("migrating: " + ", ".join(s.name for s in self.plan.runnable))
        results = await asyncio.gather(
            *(
                asyncio.to_thread(run_chain, spec, self._database_url(spec), ("upgrade", "head"))
                for spec in self.plan.runnable
            )
        )
        failed = [result for result in results if not result.ok]
        if failed:
            raise StackError(
                "\n".join(f"migration of {r.service} failed:\n{r.output}" for r in failed)
            )

    async def _create_topics(self, endpoints: Endpoints) -> None:
        try:
            report = await create_topics(
                endpoints.kafka_bootstrap, self.options.topic_partitions, wait_seconds=30
            )
        except BrokerUnavailable as error:
            raise StackError(str(error)) from None
        self.console.info(f"topics: {len(report.created)} created, {len(report.existing)} kept")

    async def _start_services(self, endpoints: Endpoints) -> None:
        log_dir = self.options.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        for spec in self.plan.runnable:
            environment = service_environment(
                spec,
                endpoints,
                self.options.ports,
                self.options.isolate_ports,
                self.options.otlp_endpoint,
                self.options.log_format,
            )
            children = [Child(c, log_dir, self.console) for c in child_specs(spec, environment)]
            self.services.append(RunningService(spec, self._port(spec), children, environment))
            for child in children:
                await child.start()
        await self._start_gateway(endpoints, log_dir)

    async def _start_gateway(self, endpoints: Endpoints, log_dir: Path) -> None:
        environment = gateway_environment(
            endpoints,
            {s.spec.name: s.port for s in self.services},
            self.options.resolved_gateway_port(),
            self.options.otlp_endpoint,
            self.options.log_format,
        )
        self.gateway = Child(gateway_child_spec(environment), log_dir, self.console)
        await self.gateway.start()

    async def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.options.start_timeout
        async with httpx.AsyncClient(timeout=5.0) as client:
            await asyncio.gather(
                *(_wait_service(client, service, deadline) for service in self.services)
            )
            if self.gateway is not None:
                gateway = [self.gateway]
                await wait_healthy(client, GATEWAY.name, self.gateway_url, gateway, deadline)

    def _port(self, spec: ServiceSpec) -> int:
        return self.options.ports[spec.name]

    def _database_url(self, spec: ServiceSpec) -> str:
        assert self.endpoints is not None
        environment = service_environment(spec, self.endpoints, self.options.ports)
        return environment[f"{spec.env_prefix}DATABASE_URL"]


async def _ensure_database_when_ready(server_url: str, database: str) -> None:
    deadline = time.monotonic() + 30.0
    while True:
        try:
            await ensure_database(server_url, database)
            return
        except (OSError, asyncpg.CannotConnectNowError) as error:
            if time.monotonic() > deadline:
                raise StackError(f"PostgreSQL at {server_url} does not answer: {error}") from None
            await asyncio.sleep(0.5)


async def _wait_service(
    client: httpx.AsyncClient, service: RunningService, deadline: float
) -> None:
    await wait_healthy(client, service.spec.name, service.base_url, service.children, deadline)
