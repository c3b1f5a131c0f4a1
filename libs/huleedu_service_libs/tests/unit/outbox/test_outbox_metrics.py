"""The metrics a relay records, read back from a private registry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from huleedu_service_libs.kafka import OutgoingMessage
from huleedu_service_libs.outbox.claim import ClaimedRow
from huleedu_service_libs.outbox.metrics import ServiceOutboxMetrics, outbox_metrics
from huleedu_service_libs.outbox.store import Backlog, Failure

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def published(event_type: str, age_seconds: float) -> ClaimedRow:
    return ClaimedRow(
        uuid.uuid4(), 1, "k", event_type, NOW - timedelta(seconds=age_seconds), 0, None,
        OutgoingMessage("t", b"{}"),
    )  # fmt: skip


def test_published_failed_and_dead_lettered_are_counted_by_service_and_event_type() -> None:
    registry = CollectorRegistry()
    metrics = ServiceOutboxMetrics(outbox_metrics(registry), "svc")
    metrics.record_published(
        [published("a.v1", 0.02), published("a.v1", 3), published("b.v1", 1)], NOW
    )
    metrics.record_failures([
        Failure(uuid.uuid4(), "a.v1", 1, "e", NOW, dead_lettered=False),
        Failure(uuid.uuid4(), "a.v1", 5, "e", NOW, dead_lettered=True),
    ])  # fmt: skip

    def sample(name: str, event_type: str) -> float | None:
        return registry.get_sample_value(name, {"service": "svc", "event_type": event_type})

    assert sample("huleedu_outbox_published_total", "a.v1") == 2
    assert sample("huleedu_outbox_published_total", "b.v1") == 1
    assert sample("huleedu_outbox_failed_attempts_total", "a.v1") == 2
    assert sample("huleedu_outbox_dead_lettered_total", "a.v1") == 1
    latency = {"service": "svc", "le": "0.025"}
    assert registry.get_sample_value("huleedu_outbox_publish_latency_seconds_bucket", latency) == 1


def test_the_backlog_gauges_show_the_real_count_and_the_oldest_age() -> None:
    registry = CollectorRegistry()
    metrics = ServiceOutboxMetrics(outbox_metrics(registry), "svc")
    metrics.record_backlog(Backlog(1234, NOW - timedelta(minutes=2), 3), NOW)
    labels = {"service": "svc"}
    assert registry.get_sample_value("huleedu_outbox_unpublished_events", labels) == 1234
    assert registry.get_sample_value("huleedu_outbox_dead_lettered_events", labels) == 3
    age = registry.get_sample_value("huleedu_outbox_oldest_unpublished_age_seconds", labels)
    assert age == 120

    metrics.record_backlog(Backlog(0, None, 0), NOW)
    assert registry.get_sample_value("huleedu_outbox_oldest_unpublished_age_seconds", labels) == 0


def test_one_set_of_metrics_per_registry() -> None:
    registry = CollectorRegistry()
    assert outbox_metrics(registry) is outbox_metrics(registry)
