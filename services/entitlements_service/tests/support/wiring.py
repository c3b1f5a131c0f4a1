"""The handlers wired to in-memory fakes, as the production container wires them to real stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.entitlements_service.config import DEFAULT_POLICY_PATH
from services.entitlements_service.domain.policy import CreditPolicy, parse_policy
from services.entitlements_service.handlers.admin import Admin
from services.entitlements_service.handlers.consumption import ConsumeCredits
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.handlers.preflight import CheckCredits
from services.entitlements_service.handlers.queries import TeacherQueries
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.handlers.support import HoldLimits
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.tests.support.fakes import (
    Books,
    FakeCharges,
    FakeClock,
    FakeUnitOfWork,
    InMemoryRateLimitStore,
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


def make_policy(**changes: Any) -> CreditPolicy:
    return parse_policy({**POLICY, **changes}, "test")


@dataclass
class FakeService:
    policy: CreditPolicy = field(default_factory=make_policy)
    books: Books = field(default_factory=Books)
    clock: FakeClock = field(default_factory=FakeClock)
    rates: InMemoryRateLimitStore = field(default_factory=InMemoryRateLimitStore)
    policy_path: Path = DEFAULT_POLICY_PATH

    def __post_init__(self) -> None:
        self.policies = PolicyStore(self.policy_path, self.policy)
        limiter = RateLimiter(self.rates)
        uows = self.uow
        charges = FakeCharges(self.books)  # autocommits, as the HTTP path's charges do
        self.consume = ConsumeCredits(uows, charges, self.policies, limiter, self.clock)
        self.check = CheckCredits(uows, self.policies, limiter, self.clock, max_bulk=10)
        self.holds = Authorizations(uows, self.policies, limiter, self.clock, HoldLimits(600, 3600))
        self.admin = Admin(uows, self.policies)
        self.queries = TeacherQueries(uows, self.policies)

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.books)

    def balance(self, subject_key: str) -> tuple[int, int]:
        for subject, balance in self.books.accounts.items():
            if subject.key == subject_key:
                return balance.balance, balance.held
        raise KeyError(subject_key)

    def ledger_sums(self, subject_key: str) -> tuple[int, int]:
        entries = [e for e in self.books.ledger if e.subject.key == subject_key]
        return sum(e.delta for e in entries), sum(e.held_delta for e in entries)
