"""The metric names the rules and dashboards are checked against are the ones real registries
expose: the library's and the services' metric classes, built on a fresh registry each."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from huleedu_service_libs.app.metrics import HttpMetrics
from huleedu_service_libs.idempotency.metrics import IdempotencyMetrics
from huleedu_service_libs.kafka.consumer import ConsumerMetrics
from huleedu_service_libs.outbox.metrics import outbox_metrics
from scripts.platform_services import SERVICES
from tests.observability.platform_metrics import exposed_names, metric_definitions

pytestmark = pytest.mark.contract
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
}
LIBRARY_METRICS: list[Callable[[CollectorRegistry], Any]] = [
    HttpMetrics,
    ConsumerMetrics,
    IdempotencyMetrics,
    outbox_metrics,
]


def registered_names(build: Callable[[CollectorRegistry], Any]) -> set[str]:
    registry = CollectorRegistry()
    build(registry)
    return {
        family.name + suffix
        for family in registry.collect()
        for suffix in _SUFFIXES.get(family.type, ("",))
    }


def service_metric_classes() -> list[Callable[[CollectorRegistry], Any]]:
    found: list[Callable[[CollectorRegistry], Any]] = []
    for spec in SERVICES:
        if not (spec.directory / "metrics.py").is_file():
            continue
        module = importlib.import_module(f"{spec.package}.metrics")
        for value in vars(module).values():
            if inspect.isclass(value) and value.__module__ == module.__name__:
                parameters = list(inspect.signature(value).parameters)
                if parameters == ["registry"]:
                    found.append(value)
    return found


def metric_builder_id(build: Callable[[CollectorRegistry], Any]) -> str:
    # A stable id (not repr, which holds an address) so every xdist worker collects the same tests.
    wrapped = getattr(build, "__wrapped__", build)
    return f"{wrapped.__module__}.{wrapped.__qualname__}"


@pytest.mark.parametrize("build", LIBRARY_METRICS + service_metric_classes(), ids=metric_builder_id)
def test_a_real_registry_exposes_nothing_the_source_scan_misses(
    build: Callable[[CollectorRegistry], Any],
) -> None:
    names = registered_names(build)

    assert names
    assert names - exposed_names() == set()


def test_the_scan_finds_the_library_and_service_metrics() -> None:
    defined = {definition.name for definition in metric_definitions()}

    assert {"http_requests_total", "kafka_consumer_lag_records"} <= defined
    assert "huleedu_outbox_dead_lettered_events" in defined
    assert any(d.where.startswith("services/") for d in metric_definitions())
