"""The stack's processes as Prometheus file_sd targets: a Prometheus outside the stack (on the
host: observability/prometheus/local-stack.yml) scrapes every API's and worker's /metrics under
the same job names as in compose (`<service>`, `<service>_worker`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scripts.platform_services import ServiceSpec

TARGETS_FILE = "prometheus_targets.json"
WORKER_PORT_SETTING = "WORKER_METRICS_PORT"


def metrics_targets(
    services: Sequence[tuple[ServiceSpec, int, Mapping[str, str], bool]],
) -> list[dict[str, Any]]:
    """One file_sd entry per process: (spec, API port, the children's environment, has worker)."""
    groups: list[dict[str, Any]] = []
    for spec, api_port, environment, has_worker in services:
        groups.append(_group(spec.name, api_port))
        worker_port = _worker_port(spec, environment)
        if has_worker and worker_port:
            groups.append(_group(f"{spec.name}_worker", worker_port))
    return groups


def gateway_target(job: str, port: int) -> dict[str, Any]:
    """The API gateway's /metrics (no worker)."""
    return _group(job, port)


def write_targets(path: Path, groups: list[dict[str, Any]]) -> None:
    # Prometheus re-reads the file on change; replace it whole so no half-written file is read.
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(groups, indent=2) + "\n")
    partial.replace(path)


def _group(job: str, port: int) -> dict[str, Any]:
    return {"targets": [f"127.0.0.1:{port}"], "labels": {"job": job, "platform": "local-stack"}}


def _worker_port(spec: ServiceSpec, environment: Mapping[str, str]) -> int:
    """The worker's metrics port; 0 (any free port) cannot be scraped and gives 0."""
    configured = environment.get(spec.env_prefix + WORKER_PORT_SETTING)
    if configured is not None:
        return int(configured)
    default = spec.settings_class().model_fields[WORKER_PORT_SETTING].default
    return int(default)
