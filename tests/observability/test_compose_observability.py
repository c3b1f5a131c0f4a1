"""Prometheus scrapes every API and worker compose runs; every one of them traces to the
collector, the collector exports to Jaeger, and Grafana reads both."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest

from scripts.platform_services import REPO_ROOT, SERVICES
from tests.compose.compose_files import command_of, load_yaml, port_mappings
from tests.observability.observability_files import (
    COLLECTOR_CONFIG,
    PROMETHEUS_CONFIG,
    ServiceProcess,
    provisioned_datasources,
    rule_files,
    scrape_jobs,
    static_targets,
)

pytestmark = pytest.mark.contract
OTLP_HTTP_PORT = 4318


def test_every_api_and_worker_is_scraped_under_its_compose_service_name(
    processes: list[ServiceProcess],
) -> None:
    jobs = scrape_jobs()

    assert len(processes) >= 2 * len(SERVICES)
    for process in processes:
        job = jobs.get(process.compose_name)
        assert job is not None, f"no scrape job {process.compose_name}"
        assert static_targets(job) == [f"{process.compose_name}:{process.metrics_port}"]
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert job.get("scheme", "http") == "http"


def test_every_scrape_target_is_a_container_of_the_platform(
    platform: dict[str, dict[str, Any]],
) -> None:
    hosts = {
        target.rpartition(":")[0]: name
        for name, job in scrape_jobs().items()
        for target in static_targets(job)
    }

    assert set(hosts) - set(platform) == set()
    assert all(host == job for host, job in hosts.items()), "a job is named after another host"


def test_prometheus_reads_the_repository_config_and_its_rule_files(
    platform: dict[str, dict[str, Any]],
) -> None:
    prometheus = platform["prometheus"]

    assert prometheus["image"].startswith("prom/prometheus:")
    assert "--config.file=/etc/prometheus/prometheus.yml" in command_of(prometheus)
    assert "./observability/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert rule_files(), "rule_files matches no file"


def test_every_bind_mount_of_the_observability_containers_exists(
    platform: dict[str, dict[str, Any]],
) -> None:
    for name in ("prometheus", "grafana", "otel-collector"):
        sources = [str(v).split(":", 1)[0] for v in platform[name]["volumes"]]
        for source in (s for s in sources if s.startswith("./")):
            assert (REPO_ROOT / source).exists(), f"{name} mounts missing {source}"


def test_every_api_and_worker_sends_traces_to_the_collector(
    processes: list[ServiceProcess], platform: dict[str, dict[str, Any]]
) -> None:
    for process in processes:
        environment = process.environment
        endpoint = environment.get(f"{process.env_prefix}TRACING_OTLP_ENDPOINT", "")

        declared = platform[process.compose_name]["environment"]
        # on with the observability profile: HULEEDU_TRACING=true
        assert declared[f"{process.env_prefix}TRACING_ENABLED"] == "${HULEEDU_TRACING:-false}"
        assert urlsplit(endpoint).hostname == "otel-collector"
        assert urlsplit(endpoint).port == OTLP_HTTP_PORT
    assert OTLP_HTTP_PORT in [m.container for m in port_mappings(platform["otel-collector"])]


def test_the_collector_receives_otlp_http_and_exports_traces_to_jaeger(
    platform: dict[str, dict[str, Any]],
) -> None:
    config = load_yaml(COLLECTOR_CONFIG)
    pipeline = config["service"]["pipelines"]["traces"]
    exporters = {name: config["exporters"][name] for name in pipeline["exporters"]}
    jaeger = platform["jaeger"]

    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    assert "otlp" in pipeline["receivers"]
    assert [e["endpoint"] for e in exporters.values()] == ["jaeger:4317"]
    assert jaeger["image"].startswith("jaegertracing/all-in-one:")
    assert str(jaeger["environment"]["COLLECTOR_OTLP_ENABLED"]) == "true"
    assert 16686 in [m.host for m in port_mappings(jaeger)]
    assert "./observability/otel-collector/config.yaml" in " ".join(
        platform["otel-collector"]["volumes"]
    )


def test_grafana_datasources_are_the_prometheus_and_jaeger_of_compose(
    platform: dict[str, dict[str, Any]],
) -> None:
    sources = {s["type"]: urlsplit(s["url"]) for s in provisioned_datasources().values()}
    published = {name: [m.container for m in port_mappings(platform[name])] for name in platform}

    assert set(sources) == {"prometheus", "jaeger"}
    for kind, url in sources.items():
        assert url.hostname == kind, f"the {kind} datasource is not the compose service"
        assert url.port in published[kind]
    volumes = platform["grafana"]["volumes"]
    assert "./observability/grafana/provisioning:/etc/grafana/provisioning:ro" in volumes


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not on PATH")
def test_promtool_accepts_the_prometheus_config() -> None:
    result = _promtool("check", "config", str(PROMETHEUS_CONFIG))

    assert result.returncode == 0, result.stdout + result.stderr


def _promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *arguments], capture_output=True, text=True, check=False, timeout=60
    )
