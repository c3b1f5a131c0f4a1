"""One outcome counter per registry, shared by every decorated handler that reports to it."""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter


class IdempotencyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.outcomes = Counter(
            "huleedu_idempotency_outcomes",
            "Deliveries seen by @idempotent_consumer, by outcome",
            ["service", "outcome"],
            registry=registry,
        )


_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, IdempotencyMetrics] = (
    weakref.WeakKeyDictionary()
)


def metrics_for(registry: CollectorRegistry | None) -> IdempotencyMetrics | None:
    if registry is None:
        return None
    if registry not in _by_registry:
        _by_registry[registry] = IdempotencyMetrics(registry)
    return _by_registry[registry]
