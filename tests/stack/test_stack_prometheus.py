"""The stack's file_sd targets: every API and worker under its compose job name, on the ports
its settings really listen on, in the file observability/prometheus/local-stack.yml reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from huleedu_service_libs.config import load_settings
from scripts.platform_services import REPO_ROOT, SERVICES
from scripts.stack_runner.cli import parser
from scripts.stack_runner.infrastructure import Endpoints
from scripts.stack_runner.prometheus import TARGETS_FILE, metrics_targets, write_targets
from scripts.stack_runner.services import service_environment
from tests.compose.compose_files import load_yaml

LOCAL_STACK_CONFIG = REPO_ROOT / "observability" / "prometheus" / "local-stack.yml"
ENDPOINTS = Endpoints(
    postgres_url="postgresql://u:p@127.0.0.1:5432/postgres",
    redis_url="redis://127.0.0.1:6379",
    kafka_bootstrap="127.0.0.1:9092",
    kafka_idempotence=False,
    description="test",
)
PORTS = {spec.name: 20000 + index for index, spec in enumerate(SERVICES)}


def _targets(isolate_ports: bool) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The targets, and each process's port as its settings read the environment."""
    processes, listening = [], {}
    for spec in SERVICES:
        environment = service_environment(spec, ENDPOINTS, PORTS, isolate_ports)
        processes.append((spec, PORTS[spec.name], environment, True))
        settings = _settings_in(spec.settings_class(), environment)
        listening[spec.name] = settings.HTTP_PORT
        listening[f"{spec.name}_worker"] = settings.WORKER_METRICS_PORT
    return metrics_targets(processes), listening


def _settings_in(settings_class: Any, environment: dict[str, str]) -> Any:
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(environment)
        return load_settings(settings_class)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.parametrize("isolate_ports", [False, True], ids=["default", "isolated"])
def test_every_api_and_worker_is_a_target_on_the_port_it_listens_on(isolate_ports: bool) -> None:
    groups, listening = _targets(isolate_ports)

    by_job = {group["labels"]["job"]: group["targets"] for group in groups}
    assert by_job == {job: [f"127.0.0.1:{port}"] for job, port in listening.items()}


def test_a_service_without_a_worker_has_only_its_api_as_a_target() -> None:
    spec = SERVICES[0]
    environment = service_environment(spec, ENDPOINTS, PORTS)

    [group] = metrics_targets([(spec, 8083, environment, False)])

    assert group["labels"]["job"] == spec.name


def test_the_file_is_prometheus_file_sd_json(tmp_path: Path) -> None:
    groups, _ = _targets(isolate_ports=False)
    path = tmp_path / TARGETS_FILE

    write_targets(path, groups)

    written = json.loads(path.read_text())
    assert written == groups
    for group in written:
        assert all(isinstance(target, str) for target in group["targets"])
        assert all(isinstance(v, str) for v in group["labels"].values())
    assert not path.with_suffix(".tmp").exists()


def test_the_local_stack_config_reads_the_file_the_stack_writes_by_default() -> None:
    config = load_yaml(LOCAL_STACK_CONFIG)
    [job] = config["scrape_configs"]
    [pattern] = job["file_sd_configs"][0]["files"]

    data_dir = parser().parse_args([]).data_dir
    assert (LOCAL_STACK_CONFIG.parent / pattern).resolve() == (data_dir / TARGETS_FILE).resolve()
    assert list(LOCAL_STACK_CONFIG.parent.glob(config["rule_files"][0]))


def test_the_log_format_flag_reaches_the_services_settings() -> None:
    chosen = parser().parse_args(["--log-format", "console"]).log_format
    for spec in SERVICES:
        environment = service_environment(spec, ENDPOINTS, PORTS, log_format=chosen)
        assert _settings_in(spec.settings_class(), environment).LOG_FORMAT == "console"
    assert parser().parse_args([]).log_format is None


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not on PATH")
def test_promtool_accepts_the_local_stack_config() -> None:
    result = subprocess.run(
        ["promtool", "check", "config", str(LOCAL_STACK_CONFIG)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
