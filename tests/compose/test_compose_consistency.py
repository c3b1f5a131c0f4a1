"""The compose files agree with the code they run: settings, ports, topics, migrations, routes."""

from __future__ import annotations

import importlib
import os
import re
from typing import Any

import pytest

from common_core.events.registry import topics_consumed_by, topics_produced_by
from common_core.service_names import ServiceName
from huleedu_service_libs.config import load_settings
from huleedu_service_libs.kafka import DLQ_SUFFIX
from scripts.create_topics import planned_topics
from scripts.platform_services import SERVICES, SERVICES_BY_NAME, ServiceSpec
from tests.compose import service_modules as code
from tests.compose.compose_files import (
    command_of,
    container_environment,
    port_mappings,
    repo_path_of,
)

pytestmark = pytest.mark.contract
by_name = pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(?P<port>\d+)(?P<path>/[A-Za-z0-9_/]*)")


def _conditions(service: dict[str, Any]) -> dict[str, str]:
    return {name: dep["condition"] for name, dep in service.get("depends_on", {}).items()}


@by_name
def test_migration_job_runs_alembic_from_a_real_service_directory(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]]
) -> None:
    job = platform[f"{spec.name}_migrate"]
    code.require_files(spec, "alembic.ini")

    assert command_of(job) == ["alembic", "upgrade", "head"]
    assert (repo_path_of(job["working_dir"]) / "alembic.ini").is_file()
    assert repo_path_of(job["working_dir"]) == spec.directory
    assert job["restart"] == "no"
    assert _conditions(job) == {spec.db_service: "service_healthy"}


@by_name
def test_api_and_worker_start_after_migration_topics_and_healthy_infrastructure(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]]
) -> None:
    expected = {
        f"{spec.name}_migrate": "service_completed_successfully",
        "kafka_topic_setup": "service_completed_successfully",
        spec.db_service: "service_healthy",
        "redis": "service_healthy",
        "kafka": "service_healthy",
    }

    assert _conditions(platform[spec.name]) == expected
    assert _conditions(platform[f"{spec.name}_worker"]) == expected


@by_name
def test_api_runs_the_service_http_module_on_the_architecture_port(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]]
) -> None:
    api = platform[spec.name]

    assert command_of(api) == ["python", "-m", spec.http_module]
    assert port_mappings(api) == [], "only the gateway publishes a port"
    assert container_environment(api)[f"{spec.env_prefix}HTTP_PORT"] == str(spec.port)
    assert f"127.0.0.1:{spec.port}/healthz" in " ".join(api["healthcheck"]["test"])


@by_name
def test_http_module_runs_as_a_program(spec: ServiceSpec) -> None:
    code.require_files(spec, "app.py")
    source = (spec.directory / "app.py").read_text()

    assert 'if __name__ == "__main__":' in source, f"{spec.http_module} has no __main__ entry"
    assert callable(getattr(importlib.import_module(spec.http_module), "main", None))


@by_name
def test_settings_default_port_is_the_architecture_port(spec: ServiceSpec) -> None:
    settings_class = code.settings_class(spec)

    assert settings_class.model_fields["HTTP_PORT"].default == spec.port


@by_name
def test_worker_runs_the_service_worker_module(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]]
) -> None:
    worker = platform[f"{spec.name}_worker"]
    code.require_files(spec, "worker_main.py")

    assert command_of(worker) == ["python", "-m", spec.worker_module]
    assert code.module_exists(spec.worker_module)


@by_name
def test_every_required_setting_is_provided_and_every_variable_is_a_real_setting(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]]
) -> None:
    settings_class = code.settings_class(spec)
    for container in (spec.name, f"{spec.name}_worker", f"{spec.name}_migrate"):
        environment = container_environment(platform[container])
        names = {
            k.removeprefix(spec.env_prefix) for k in environment if k.startswith(spec.env_prefix)
        }

        assert set(code.required_settings(settings_class)) <= names, container
        assert names <= set(settings_class.model_fields), f"{container}: unknown settings"


@by_name
def test_settings_load_from_the_compose_environment(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_class = code.settings_class(spec)
    _only_compose_environment(monkeypatch, container_environment(platform[spec.name]))

    settings = load_settings(settings_class)

    assert settings.DATABASE_URL.endswith(f"@{spec.db_service}:5432/{spec.database}")
    assert settings.KAFKA_BOOTSTRAP_SERVERS == "kafka:9092"
    assert settings.REDIS_URL.endswith(f"//redis:6379/{spec.redis_db}")


@by_name
def test_urls_of_other_services_point_at_their_compose_services(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]]
) -> None:
    settings_class = code.settings_class(spec)
    environment = container_environment(platform[spec.name])
    local_urls = {
        name
        for name, field in settings_class.model_fields.items()
        if name.endswith("_URL") and str(field.default).startswith("http://localhost")
    }

    assert local_urls == {setting for setting, _target in spec.http_dependencies}
    for setting, target in spec.http_dependencies:
        url = f"http://{target}:{SERVICES_BY_NAME[target].port}"
        assert environment[spec.env_prefix + setting] == url


@by_name
def test_every_topic_the_service_uses_is_created_by_the_setup_job(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_class = code.settings_class(spec)
    _only_compose_environment(monkeypatch, container_environment(platform[spec.name]))
    service = ServiceName(spec.name)
    consumed = topics_consumed_by(service)
    used = set(consumed) | set(topics_produced_by(service))
    used |= set(code.topic_settings(load_settings(settings_class)).values())
    used |= {topic + DLQ_SUFFIX for topic in consumed}

    assert used - set(planned_topics()) == set()


@by_name
async def test_healthcheck_url_is_a_route_of_the_app_on_its_port(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = platform[spec.name]
    match = HEALTH_URL.search(" ".join(api["healthcheck"]["test"]))
    assert match is not None, "the healthcheck probes no local URL"
    _only_compose_environment(monkeypatch, container_environment(api))

    app = code.build_app(spec)
    try:
        assert int(match["port"]) == spec.port
        assert match["path"] == "/healthz"
        assert match["path"] in code.url_rules(app)
    finally:
        await app.container.close()
        await app.database_engine.dispose()


def test_topic_setup_job_creates_the_registry_topics_once_kafka_is_healthy(
    platform: dict[str, dict[str, Any]],
) -> None:
    job = platform["kafka_topic_setup"]
    environment = container_environment(job)

    assert command_of(job)[:3] == ["python", "-m", "scripts.create_topics"]
    assert code.module_exists("scripts.create_topics")
    assert environment["HULEEDU_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert _conditions(job) == {"kafka": "service_healthy"}
    assert job["restart"] == "no"


def _only_compose_environment(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    prefixes = tuple(spec.env_prefix for spec in SERVICES)
    for key in list(os.environ):
        if key.startswith(prefixes):
            monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
