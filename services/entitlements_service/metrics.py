"""Business metrics on the process's registry (the API's and the worker's alike), provided by
Dishka (`di.MetricsProvider`) and counted by the use cases once the outcome is committed."""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter

from common_core.domain_enums import CreditSubjectType


class ChargeResult(StrEnum):
    CHARGED = "charged"
    REFUSED = "refused"  # no account covers the cost
    REPLAYED = "replayed"  # an idempotency key that already charged: nothing charged again


class EntitlementsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.charges = Counter(
            "entitlements_charges",
            "Charges asked for (direct, against a hold, or reported over Kafka), by result",
            ["result", "payer"],
            registry=registry,
        )
        self.credits_charged = Counter(
            "entitlements_credits_charged",
            "Credits charged (replays excluded)",
            ["payer"],
            registry=registry,
        )
        self.refusals = Counter(
            "entitlements_refusals", "Requests refused, by error code", ["code"], registry=registry
        )
        for payer in CreditSubjectType:
            for result in ChargeResult:
                self.charges.labels(result.value, payer.value)
            self.credits_charged.labels(payer.value)

    def charged(self, payer: CreditSubjectType, credits: int) -> None:
        self.charges.labels(ChargeResult.CHARGED.value, payer.value).inc()
        self.credits_charged.labels(payer.value).inc(credits)

    def replayed(self, payer: CreditSubjectType) -> None:
        self.charges.labels(ChargeResult.REPLAYED.value, payer.value).inc()

    def refused(self, payer: CreditSubjectType) -> None:
        self.charges.labels(ChargeResult.REFUSED.value, payer.value).inc()


def first_payer(org_id: str | None) -> CreditSubjectType:
    """Who a refused charge would have been paid by first: the organisation when there is one."""
    return CreditSubjectType.ORG if org_id else CreditSubjectType.USER
