"""Business metrics beside the library's HTTP metrics, on the app's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from quart import current_app

EXTENSION = "entitlements_metrics"


class EntitlementsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.charges = Counter(
            "entitlements_charges",
            "Charges made over HTTP, direct or against a hold (replays excluded)",
            ["kind", "subject_type"],
            registry=registry,
        )
        self.credits = Counter(
            "entitlements_credits_charged",
            "Credits charged directly over HTTP",
            ["subject_type"],
            registry=registry,
        )
        self.refusals = Counter(
            "entitlements_refusals", "Requests refused, by error code", ["code"], registry=registry
        )

    def charged(self, kind: str, subject_type: str, credits: int) -> None:
        self.charges.labels(kind, subject_type).inc()
        self.credits.labels(subject_type).inc(credits)


def app_metrics() -> EntitlementsMetrics:
    metrics: EntitlementsMetrics = current_app.extensions[EXTENSION]
    return metrics
