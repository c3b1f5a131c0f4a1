"""Fakes of the service's other ports: credits, essay content, scripted judges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from common_core.domain_enums import JudgeKind
from common_core.error_enums import ErrorCode
from common_core.models.error_models import ErrorDetail
from services.cj_assessment_service.domain.judging import (
    JudgeAnswerInvalid,
    JudgeTask,
    JudgeUnavailable,
    JudgeVerdict,
)
from services.cj_assessment_service.protocols import (
    ContentMissing,
    ContentUnavailable,
    CreditsRefused,
    CreditsUnavailable,
)


@dataclass
class Hold:
    authorization_id: UUID
    user_id: str
    quantity: int
    consumed: dict[str, int] = field(default_factory=dict)  # idempotency key -> quantity
    released: bool = False


class FakeCredits:
    """Entitlements' hold semantics: one hold per key; consumption once per key."""

    def __init__(self, balance: int = 10_000) -> None:
        self.balance = balance
        self.holds: dict[str, Hold] = {}
        self.down = False
        self.calls: list[str] = []

    @property
    def charged(self) -> int:
        return sum(sum(h.consumed.values()) for h in self.holds.values())

    def hold(self) -> Hold:
        (only,) = self.holds.values()
        return only

    async def authorize(
        self, *, user_id: str, org_id: str | None, quantity: int, key: str, resource_id: str
    ) -> UUID:
        self._check("authorize")
        if key in self.holds:
            return self.holds[key].authorization_id
        if quantity > self.balance:
            raise CreditsRefused(_detail(ErrorCode.INSUFFICIENT_CREDITS, "not enough credits"))
        self.holds[key] = Hold(uuid4(), user_id, quantity)
        return self.holds[key].authorization_id

    async def consume(
        self, authorization_id: UUID, *, user_id: str, quantity: int, key: str
    ) -> None:
        self._check("consume")
        hold = self._find(authorization_id)
        if hold.released:
            raise CreditsRefused(_detail(ErrorCode.CONFLICT, "hold is closed"))
        if hold.consumed.setdefault(key, quantity) != quantity:
            raise CreditsRefused(_detail(ErrorCode.CONFLICT, "key reused with another quantity"))
        if sum(hold.consumed.values()) > hold.quantity:
            raise AssertionError("consumed more than the hold")

    async def release(self, authorization_id: UUID, *, user_id: str, reason: str) -> None:
        self._check("release")
        self._find(authorization_id).released = True

    def _check(self, call: str) -> None:
        self.calls.append(call)
        if self.down:
            raise CreditsUnavailable("entitlements is down")

    def _find(self, authorization_id: UUID) -> Hold:
        return next(h for h in self.holds.values() if h.authorization_id == authorization_id)


def _detail(code: ErrorCode, message: str) -> ErrorDetail:
    return ErrorDetail(
        error_code=code, message=message, correlation_id=uuid4(), service="fake", operation="x"
    )


class ManualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakeContent:
    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.down = False
        self.fetches = 0

    async def text(self, storage_id: str) -> str:
        self.fetches += 1
        if self.down:
            raise ContentUnavailable("file service down")
        if storage_id not in self.texts:
            raise ContentMissing(storage_id)
        return self.texts[storage_id]


class ScriptedJudge:
    """Delegates to `inner` unless the script says to fail; records every task it saw."""

    def __init__(self, inner: object, fail: Callable[[JudgeTask], str | None] | None = None):
        self.inner = inner
        self.fail = fail or (lambda _: None)
        self.tasks: list[JudgeTask] = []

    @property
    def kind(self) -> JudgeKind:
        return JudgeKind.SIMULATED

    async def judge(self, task: JudgeTask) -> JudgeVerdict:
        self.tasks.append(task)
        failure = self.fail(task)
        if failure == "invalid":
            raise JudgeAnswerInvalid("garbage")
        if failure == "unavailable":
            raise JudgeUnavailable("down", 30.0)
        verdict: JudgeVerdict = await self.inner.judge(task)  # type: ignore[attr-defined]
        return verdict
