"""What the stack runs for each service: which can run, with what environment and command."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from huleedu_service_libs.testing.processes import free_port
from scripts.database_urls import url_on_server
from scripts.platform_services import GATEWAY, REPO_ROOT, SERVICES, ServiceSpec
from scripts.stack_runner.children import COLOURS, ChildSpec
from scripts.stack_runner.infrastructure import Endpoints

NEEDED_TO_RUN = ("app.py", "config.py", "alembic.ini")
# The gateway signs the identity it forwards with this; every service of the stack holds it.
STACK_SIGNING_SECRET = "local-stack-gateway-signing-secret"


@dataclass(frozen=True)
class Plan:
    runnable: list[ServiceSpec]
    missing: dict[str, list[str]]  # service -> files it lacks (a missing worker is not fatal)


def plan_services(specs: tuple[ServiceSpec, ...] = SERVICES) -> Plan:
    runnable = [spec for spec in specs if not set(NEEDED_TO_RUN) & set(spec.missing_parts())]
    missing = {spec.name: spec.missing_parts() for spec in specs if spec.missing_parts()}
    return Plan(runnable, missing)


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def service_environment(
    spec: ServiceSpec,
    endpoints: Endpoints,
    ports: Mapping[str, int],
    isolate_ports: bool = False,
    otlp_endpoint: str | None = None,
    log_format: str | None = None,
) -> dict[str, str]:
    settings: dict[str, str] = {
        "ENVIRONMENT": "development",
        "DATABASE_URL": url_on_server(endpoints.postgres_url, spec.database),
        "REDIS_URL": f"{endpoints.redis_url}/{spec.redis_db}",
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": str(endpoints.kafka_idempotence).lower(),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(ports[spec.name]),
        "GATEWAY_SIGNING_SECRET": STACK_SIGNING_SECRET,
    }
    settings |= {
        setting: f"http://127.0.0.1:{ports[target]}" for setting, target in spec.http_dependencies
    }
    settings |= {setting: str(REPO_ROOT / path) for setting, path in spec.stack_files}
    if isolate_ports:
        settings |= {name: str(free_port()) for name in _other_port_settings(spec)}
    if otlp_endpoint is not None:
        settings |= {"TRACING_ENABLED": "true", "TRACING_OTLP_ENDPOINT": otlp_endpoint}
    if log_format is not None:
        settings["LOG_FORMAT"] = log_format
    environment = {key: value for key, value in os.environ.items() if not _ours(key)}
    environment |= {spec.env_prefix + key: value for key, value in settings.items()}
    return environment | {"PYTHONUNBUFFERED": "1"}


def _ours(key: str) -> bool:
    return key.startswith((*(spec.env_prefix for spec in SERVICES), GATEWAY.env_prefix))


def gateway_environment(
    endpoints: Endpoints,
    ports: Mapping[str, int],
    port: int,
    otlp_endpoint: str | None = None,
    log_format: str | None = None,
) -> dict[str, str]:
    settings = {
        "ENVIRONMENT": "development",
        "REDIS_URL": f"{endpoints.redis_url}/{GATEWAY.redis_db}",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "GATEWAY_SIGNING_SECRET": STACK_SIGNING_SECRET,
    }
    settings |= {
        setting: f"http://127.0.0.1:{ports[service]}"
        for setting, service in GATEWAY.service_urls
        if service in ports
    }
    if otlp_endpoint is not None:
        settings |= {"TRACING_ENABLED": "true", "TRACING_OTLP_ENDPOINT": otlp_endpoint}
    if log_format is not None:
        settings["LOG_FORMAT"] = log_format
    environment = {key: value for key, value in os.environ.items() if not _ours(key)}
    environment |= {GATEWAY.env_prefix + key: value for key, value in settings.items()}
    return environment | {"PYTHONUNBUFFERED": "1"}


def gateway_child_spec(environment: dict[str, str]) -> ChildSpec:
    argv = [sys.executable, "-m", GATEWAY.http_module]
    return ChildSpec("gateway", argv, environment, COLOURS[len(SERVICES) % len(COLOURS)])


def _other_port_settings(spec: ServiceSpec) -> list[str]:
    fields = spec.settings_class().model_fields
    return [name for name in fields if name.endswith("_PORT") and name != "HTTP_PORT"]


def child_specs(spec: ServiceSpec, environment: dict[str, str]) -> list[ChildSpec]:
    colour = COLOURS[SERVICES.index(spec) % len(COLOURS)]
    short = spec.name.removesuffix("_service")
    children = [
        ChildSpec(f"{short} api", [sys.executable, "-m", spec.http_module], environment, colour)
    ]
    if "worker_main.py" not in spec.missing_parts():
        argv = [sys.executable, "-m", spec.worker_module]
        children.append(ChildSpec(f"{short} worker", argv, environment, colour))
    return children
