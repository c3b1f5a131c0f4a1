"""Prometheus metrics of the outbox, labelled by service (and event type for the counters)."""

from __future__ import annotations

import functools
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from huleedu_service_libs.outbox.claim import ClaimedRow
from huleedu_service_libs.outbox.store import Backlog, Failure

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)


@dataclass(frozen=True)
class OutboxMetrics:
    published: Counter
    failed_attempts: Counter
    dead_lettered: Counter
    publish_latency: Histogram
    unpublished: Gauge
    oldest_unpublished_age: Gauge
    dead_lettered_rows: Gauge


@functools.cache
def outbox_metrics(registry: CollectorRegistry = REGISTRY) -> OutboxMetrics:
    """One set per registry: every relay and service in a process shares it through the labels."""
    by_type = ["service", "event_type"]
    return OutboxMetrics(
        published=Counter(
            "huleedu_outbox_published", "Events published to Kafka", by_type, registry=registry
        ),
        failed_attempts=Counter(
            "huleedu_outbox_failed_attempts", "Failed publish attempts", by_type, registry=registry
        ),
        dead_lettered=Counter(
            "huleedu_outbox_dead_lettered", "Events dead-lettered", by_type, registry=registry
        ),
        publish_latency=Histogram(
            "huleedu_outbox_publish_latency_seconds",
            "From the outbox insert to Kafka's acknowledgement",
            ["service"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        unpublished=Gauge(
            "huleedu_outbox_unpublished_events",
            "Rows not yet published (dead-lettered included)",
            ["service"],
            registry=registry,
        ),
        oldest_unpublished_age=Gauge(
            "huleedu_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished row (0 when none)",
            ["service"],
            registry=registry,
        ),
        dead_lettered_rows=Gauge(
            "huleedu_outbox_dead_lettered_events",
            "Dead-lettered rows waiting for a re-drive",
            ["service"],
            registry=registry,
        ),
    )


class ServiceOutboxMetrics:
    def __init__(self, metrics: OutboxMetrics, service: str) -> None:
        self.metrics = metrics
        self.service = service
        self._latency = metrics.publish_latency.labels(service=service)

    def record_published(self, rows: Iterable[ClaimedRow], published_at: datetime) -> None:
        rows = list(rows)
        observe = self._latency.observe  # once per event: bound once, not looked up per row
        for row in rows:
            observe((published_at - row.created_at).total_seconds())
        for event_type, count in Tally(row.event_type for row in rows).items():
            self.metrics.published.labels(self.service, event_type).inc(count)

    def record_failures(self, failures: Iterable[Failure]) -> None:
        for failure in failures:
            self.metrics.failed_attempts.labels(self.service, failure.event_type).inc()
            if failure.dead_lettered:
                self.metrics.dead_lettered.labels(self.service, failure.event_type).inc()

    def record_backlog(self, backlog: Backlog, now: datetime) -> None:
        oldest = backlog.oldest_created_at
        age = 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)
        self.metrics.unpublished.labels(self.service).set(backlog.unpublished)
        self.metrics.oldest_unpublished_age.labels(self.service).set(age)
        self.metrics.dead_lettered_rows.labels(self.service).set(backlog.dead_lettered)
