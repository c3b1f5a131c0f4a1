"""`stack --otlp-endpoint` (or $HULEEDU_STACK_OTLP_ENDPOINT): every child process traces there."""

from __future__ import annotations

import os

import pytest

from huleedu_service_libs.config import load_settings
from scripts.platform_services import SERVICES, ServiceSpec
from scripts.stack_runner.cli import ENV_OTLP_ENDPOINT, parser
from scripts.stack_runner.infrastructure import Endpoints
from scripts.stack_runner.services import service_environment

ENDPOINTS = Endpoints(
    postgres_url="postgresql://u:p@127.0.0.1:5432/postgres",
    redis_url="redis://127.0.0.1:6379",
    kafka_bootstrap="127.0.0.1:9092",
    kafka_idempotence=False,
    description="test",
)
PORTS = {spec.name: spec.port for spec in SERVICES}


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_an_endpoint_turns_tracing_on_in_the_services_settings(
    spec: ServiceSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = service_environment(spec, ENDPOINTS, PORTS, otlp_endpoint="http://c:4318")
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(spec.settings_class())
    assert (settings.TRACING_ENABLED, settings.TRACING_OTLP_ENDPOINT) == (True, "http://c:4318")


def test_without_an_endpoint_no_tracing_setting_is_passed() -> None:
    for spec in SERVICES:
        environment = service_environment(spec, ENDPOINTS, PORTS)
        assert [name for name in environment if "TRACING_" in name] == []


def test_the_endpoint_defaults_to_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_OTLP_ENDPOINT, "http://collector:4318")
    assert parser().parse_args([]).otlp_endpoint == "http://collector:4318"
    chosen = parser().parse_args(["--otlp-endpoint", "http://x:4318"]).otlp_endpoint
    assert chosen == "http://x:4318"
