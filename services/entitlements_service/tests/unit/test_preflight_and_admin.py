from uuid import uuid4

import pytest

from common_core.domain_enums import CreditMovementReason, CreditSubjectType
from common_core.models.entitlements_api import (
    BulkCreditCheckRequest,
    CreditCheckDenial,
    CreditCheckRequest,
)
from services.entitlements_service.domain.accounts import Actor, Subject
from services.entitlements_service.domain.errors import (
    InsufficientCreditsError,
    InvalidRequestError,
)
from services.entitlements_service.handlers.admin import Adjustment
from services.entitlements_service.tests.support.wiring import fake_service, make_policy
from services.entitlements_service.tests.unit.test_consumption import consume, grant


def check(quantity: int, metric: str = "cj_comparison", **extra: object) -> CreditCheckRequest:
    return CreditCheckRequest.model_validate(
        {"user_id": "u1", "metric": metric, "quantity": quantity, **extra}
    )


async def test_preflight_answers_and_reserves_nothing() -> None:
    service = await fake_service()
    await grant(service, Subject.org("o1"), 5)
    await grant(service, Subject.user("u1"), 8)
    ledger_before = list(service.books.ledger)

    org = await service.check.single(check(5, org_id="o1"))
    user = await service.check.single(check(6, org_id="o1"))
    none = await service.check.single(check(9, org_id="o1"))

    assert (org.allowed, org.source, org.required_credits) == (True, CreditSubjectType.ORG, 5)
    assert (user.allowed, user.source) == (True, CreditSubjectType.USER)
    assert (none.allowed, none.denial, none.available_credits) == (
        False,
        CreditCheckDenial.INSUFFICIENT_CREDITS,
        8,
    )
    assert service.books.ledger == ledger_before


async def test_preflight_reports_unknown_metrics_and_rate_limits() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 100)
    unknown = await service.check.single(check(1, "telepathy"))
    assert unknown.denial is CreditCheckDenial.UNKNOWN_METRIC
    for _ in range(3):
        await service.consume(consume(1, "limited"), uuid4())
    limited = await service.check.single(check(1, "limited"))
    assert (limited.allowed, limited.denial) == (False, CreditCheckDenial.RATE_LIMITED)
    assert limited.rate_limit.remaining == 0
    assert limited.rate_limit.retry_after_seconds


async def test_bulk_preflight_needs_one_payer_for_the_total() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 12)
    request = BulkCreditCheckRequest.model_validate(
        {
            "user_id": "u1",
            "requirements": [
                {"metric": "cj_comparison", "quantity": 3},
                {"metric": "ai_feedback_generation", "quantity": 2},
            ],
        }
    )
    answer = await service.check.bulk(request)
    assert (answer.allowed, answer.required_credits) == (False, 13)
    assert [r.required_credits for r in answer.results] == [3, 10]
    too_many = request.model_copy(update={"requirements": request.requirements * 6})
    with pytest.raises(InvalidRequestError):
        await service.check.bulk(too_many)


async def test_admin_adjustments_are_ledgered_audited_and_never_overdraw() -> None:
    service = await fake_service()
    subject = Subject.user("u1")
    await service.admin.adjust(Adjustment(subject, "ops@x", "goodwill", delta=30), uuid4())
    entry = await service.admin.adjust(
        Adjustment(subject, "ops@x", "reset", target_balance=7), uuid4()
    )
    with pytest.raises(InsufficientCreditsError):
        await service.admin.adjust(Adjustment(subject, "ops@x", "too much", delta=-8), uuid4())

    assert entry.delta == -23
    assert service.balance("user:u1") == (7, 0)
    assert [a[0] for a in service.books.audit] == ["adjust_balance", "set_balance"]
    admin_entries = [
        e
        for e in service.books.ledger
        if e.movement.reason is CreditMovementReason.ADMIN_ADJUSTMENT
    ]
    assert {e.movement.actor for e in admin_entries} == {"ops@x"}


async def test_teachers_see_their_own_balances_holds_and_bonus() -> None:
    service = await fake_service(policy=make_policy(signup_bonus={"user": 25, "org": 0}))
    view = await service.queries.balances(Actor("u1"), uuid4())
    again = await service.queries.balances(Actor("u1"), uuid4())
    assert [b.balance for b in view.balances] == [25] == [b.balance for b in again.balances]
    page = await service.queries.ledger(Subject.user("u1"), None, 10)
    assert [e.movement.reason for e in page] == [CreditMovementReason.SIGNUP_BONUS]
