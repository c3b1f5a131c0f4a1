"""The handlers as the production container builds them, with in-memory storage, rate-limit
store and clock swapped in by providers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dishka import AsyncContainer, Provider, Scope, provide

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.unit_of_work import InMemoryState
from services.entitlements_service.config import DEFAULT_POLICY_PATH, Settings
from services.entitlements_service.domain.policy import CreditPolicy, parse_policy
from services.entitlements_service.handlers.admin import Admin
from services.entitlements_service.handlers.consumption import ConsumeCredits
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.handlers.preflight import CheckCredits
from services.entitlements_service.handlers.queries import TeacherQueries
from services.entitlements_service.handlers.reported_usage import ChargeReportedUsage
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.protocols import (
    ChargeRepository,
    RateLimitStore,
    UnitOfWorkFactory,
)
from services.entitlements_service.startup_setup import build_container
from services.entitlements_service.tests.support.fakes import (
    AutocommitFakeCharges,
    Books,
    FakeClock,
    FakeUnitOfWork,
    InMemoryRateLimitStore,
    fresh_state,
)

POLICY: dict[str, Any] = {
    "version": "test-1",
    "metrics": {
        "cj_comparison": {"cost_per_unit": 1, "rate_limits": [{"count": 1000, "per": "hour"}]},
        "ai_feedback_generation": {"cost_per_unit": 5},
        "essay_upload": {"free": True},
        "limited": {"cost_per_unit": 1, "rate_limits": [{"count": 3, "per": "minute"}]},
    },
    "signup_bonus": {"user": 0, "org": 0},
}
UNREACHABLE = "postgresql+asyncpg://nobody:nothing@127.0.0.1:1/none"  # never connected to


def make_policy(**changes: Any) -> CreditPolicy:
    return parse_policy({**POLICY, **changes}, "test")


class InMemoryProvider(Provider):
    """Storage, the rate-limit store and the clock in memory, over the production providers."""

    def __init__(self, state: InMemoryState, rates: RateLimitStore, clock: Clock) -> None:
        super().__init__(scope=Scope.APP)
        self.state, self.rates, self.clock = state, rates, clock

    @provide(override=True)
    def units_of_work(self, envelopes: EnvelopeFactory) -> UnitOfWorkFactory:
        return lambda: FakeUnitOfWork(self.state, envelopes)

    @provide(override=True)
    def charges(self, uows: UnitOfWorkFactory) -> ChargeRepository:
        return AutocommitFakeCharges(uows)  # autocommits, as the HTTP path's charges do

    @provide(override=True)
    def rate_limits(self) -> RateLimitStore:
        return self.rates

    @provide(override=True)
    def fake_clock(self) -> Clock:
        return self.clock


@dataclass
class FakeService:
    container: AsyncContainer
    state: InMemoryState
    clock: FakeClock
    rates: InMemoryRateLimitStore
    policies: PolicyStore
    consume: ConsumeCredits
    check: CheckCredits
    holds: Authorizations
    admin: Admin
    queries: TeacherQueries
    reported_usage: ChargeReportedUsage

    @property
    def books(self) -> Books:
        return Books(self.state)

    def balance(self, subject_key: str) -> tuple[int, int]:
        for subject, balance in self.books.accounts.items():
            if subject.key == subject_key:
                return balance.balance, balance.held
        raise KeyError(subject_key)

    def ledger_sums(self, subject_key: str) -> tuple[int, int]:
        entries = [e for e in self.books.ledger if e.subject.key == subject_key]
        return sum(e.delta for e in entries), sum(e.held_delta for e in entries)


async def fake_service(
    policy: CreditPolicy | None = None, policy_path: Path = DEFAULT_POLICY_PATH
) -> FakeService:
    settings = Settings(
        DATABASE_URL=UNREACHABLE,
        MAX_BULK_REQUIREMENTS=10,
        HOLD_DEFAULT_TTL_SECONDS=600,
        HOLD_MAX_TTL_SECONDS=3600,
    )
    state, clock, rates = fresh_state(), FakeClock(), InMemoryRateLimitStore()
    policies = PolicyStore(policy_path, policy or make_policy())
    container = build_container(
        settings,
        build_engine(settings),
        policies,
        InMemoryProvider(state, rates, clock),
        http=False,
    )
    return FakeService(
        container,
        state,
        clock,
        rates,
        policies,
        consume=await container.get(ConsumeCredits),
        check=await container.get(CheckCredits),
        holds=await container.get(Authorizations),
        admin=await container.get(Admin),
        queries=await container.get(TeacherQueries),
        reported_usage=await container.get(ChargeReportedUsage),
    )
