"""The conventions checker refuses what it should and passes the library's own metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from huleedu_service_libs.app.metrics import HttpMetrics
from huleedu_service_libs.di import new_registry
from tests.metrics.conventions import check_scrape, family_names


def _scrape(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def _rules(registry: CollectorRegistry) -> set[str]:
    return {violation.rule for violation in check_scrape(_scrape(registry))}


def test_the_default_collectors_and_request_metrics_follow_the_conventions() -> None:
    registry = new_registry()
    metrics = HttpMetrics(registry)
    metrics.observe("GET", "/v1/classes/<uuid:class_id>", 200, 0.01)
    metrics.observe("GET", "<unmatched>", 404, 0.01)

    assert check_scrape(_scrape(registry)) == []
    assert "http_requests_total" in family_names(_scrape(registry))


def test_a_raw_path_or_id_in_a_label_is_refused() -> None:
    registry = CollectorRegistry()
    routes = Counter("requests", "r", ["route"], registry=registry)
    routes.labels("/v1/classes/0b9f3e4c-2f57-4a52-9c3e-8c1d2f0a7b61").inc()
    users = Counter("logins", "l", ["user"], registry=registry)
    users.labels("ada@example.org").inc()
    paths = Counter("uploads", "u", ["where"], registry=registry)
    paths.labels("/tmp/essay.docx").inc()

    assert _rules(registry) == {
        "route label is a template",
        "no email in a label value",
        "no raw path in a label value",
    }


def test_a_unit_spelled_otherwise_and_bad_names_are_refused() -> None:
    registry = CollectorRegistry()
    Histogram("judge_latency", "j", registry=registry)
    Gauge("queueLength", "q", registry=registry)
    Gauge("pool_size", "p", registry=registry)

    assert _rules(registry) == {"unit in the name, in base units", "snake_case name"}


def test_unbounded_label_sets_are_refused() -> None:
    registry = CollectorRegistry()
    counter = Counter("jobs", "j", ["kind"], registry=registry)
    for index in range(30):
        counter.labels(f"kind{index}").inc()

    violations = check_scrape(_scrape(registry), max_series=20)

    assert [v.rule for v in violations] == ["bounded label cardinality"]
