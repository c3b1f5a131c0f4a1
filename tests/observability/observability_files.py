"""The observability configuration as the tests read it, and the processes compose runs."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from scripts.platform_services import REPO_ROOT
from tests.compose.compose_files import command_of, container_environment, load_yaml

OBSERVABILITY_DIR = REPO_ROOT / "observability"
PROMETHEUS_CONFIG = OBSERVABILITY_DIR / "prometheus" / "prometheus.yml"
RULES_DIR = OBSERVABILITY_DIR / "prometheus" / "rules"
RULE_TESTS_DIR = OBSERVABILITY_DIR / "prometheus" / "tests"
COLLECTOR_CONFIG = OBSERVABILITY_DIR / "otel-collector" / "config.yaml"
GRAFANA_DIR = OBSERVABILITY_DIR / "grafana"
DATASOURCES_FILE = GRAFANA_DIR / "provisioning" / "datasources" / "datasources.yml"
DASHBOARD_DIR = GRAFANA_DIR / "dashboards"
_SERVICE_MODULE = re.compile(r"^services\.(?P<package>\w+)\.(?P<entry>app|worker_main)$")


@dataclass(frozen=True)
class ServiceProcess:
    """An API or worker container of compose: where its /metrics is and how it is configured."""

    compose_name: str
    package: str
    is_worker: bool
    env_prefix: str
    metrics_port: int
    environment: dict[str, str]


def service_processes(platform: dict[str, dict[str, Any]]) -> list[ServiceProcess]:
    """Every container running `python -m services.<package>.app` or `.worker_main`."""
    found = []
    for name, service in sorted(platform.items()):
        command = command_of(service) if "command" in service else []
        match = _SERVICE_MODULE.match(command[2]) if command[:2] == ["python", "-m"] else None
        if match is None:
            continue
        settings = _settings_class(match["package"])
        prefix = str(settings.model_config.get("env_prefix", ""))
        is_worker = match["entry"] == "worker_main"
        port_setting = "WORKER_METRICS_PORT" if is_worker else "HTTP_PORT"
        environment = container_environment(service)
        port = environment.get(prefix + port_setting, settings.model_fields[port_setting].default)
        found.append(
            ServiceProcess(name, match["package"], is_worker, prefix, int(port), environment)
        )
    return found


def _settings_class(package: str) -> type[BaseSettings]:
    module = importlib.import_module(f"services.{package}.config")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"services.{package}.config defines {len(classes)} settings classes"
    return classes[0]


def scrape_jobs() -> dict[str, dict[str, Any]]:
    jobs = load_yaml(PROMETHEUS_CONFIG)["scrape_configs"]
    names = [job["job_name"] for job in jobs]
    assert len(names) == len(set(names)), "a job name is used twice"
    return {job["job_name"]: job for job in jobs}


def static_targets(job: dict[str, Any]) -> list[str]:
    return [target for config in job.get("static_configs", []) for target in config["targets"]]


def rule_files() -> list[Path]:
    patterns = load_yaml(PROMETHEUS_CONFIG)["rule_files"]
    return sorted(path for pattern in patterns for path in PROMETHEUS_CONFIG.parent.glob(pattern))


def alert_rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in rule_files()
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def provisioned_datasources() -> dict[str, dict[str, Any]]:
    return {source["uid"]: source for source in load_yaml(DATASOURCES_FILE)["datasources"]}
