from uuid import uuid4

import pytest

from common_core.domain_enums import CreditMovementReason, CreditSubjectType
from common_core.models.entitlements_api import ConsumeCreditsRequest
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.errors import (
    IdempotencyConflictError,
    InsufficientCreditsError,
    RateLimitedError,
    UnknownMetricError,
)
from services.entitlements_service.handlers.admin import Adjustment
from services.entitlements_service.tests.support.wiring import (
    FakeService,
    fake_service,
    make_policy,
)


def consume(
    quantity: int = 1, metric: str = "cj_comparison", key: str | None = None, **extra: object
) -> ConsumeCreditsRequest:
    return ConsumeCreditsRequest.model_validate(
        {
            "user_id": "u1",
            "metric": metric,
            "quantity": quantity,
            "idempotency_key": key or uuid4().hex,
            **extra,
        }
    )


async def grant(service: FakeService, subject: Subject, credits: int) -> None:
    adjustment = Adjustment(subject, actor="test", note="grant", delta=credits)
    await service.admin.adjust(adjustment, uuid4())


async def test_cost_is_quantity_times_unit_cost_and_the_ledger_sums_to_the_balance() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 20)
    correlation = uuid4()

    result = await service.consume(consume(3, "ai_feedback_generation"), correlation)

    assert (result.credits_charged, result.balance_after) == (15, 5)
    assert service.balance("user:u1") == (5, 0)
    assert service.ledger_sums("user:u1") == (5, 0)
    usage = service.books.events("usage.recorded.v1")
    changed = service.books.events("credit.balance_changed.v1")
    assert [e.data.credits_charged for e in usage] == [15]
    assert changed[-1].data.balance_after == 5
    assert changed[-1].data.delta == -15
    assert {e.correlation_id for e in usage + changed[-1:]} == {correlation}


async def test_the_org_pays_when_it_covers_the_whole_amount() -> None:
    service = await fake_service()
    await grant(service, Subject.org("o1"), 10)
    await grant(service, Subject.user("u1"), 10)

    result = await service.consume(consume(4, org_id="o1"), uuid4())

    assert (result.charged_subject_type, result.charged_subject_id) == (CreditSubjectType.ORG, "o1")
    assert service.balance("org:o1") == (6, 0)
    assert service.balance("user:u1") == (10, 0)


async def test_the_user_pays_when_the_org_cannot_cover_all_and_a_charge_is_never_split() -> None:
    service = await fake_service()
    await grant(service, Subject.org("o1"), 3)
    await grant(service, Subject.user("u1"), 10)

    result = await service.consume(consume(4, org_id="o1"), uuid4())

    assert result.charged_subject_type is CreditSubjectType.USER
    assert service.balance("org:o1") == (3, 0)
    assert service.balance("user:u1") == (6, 0)


async def test_insufficient_credits_is_refused_with_amounts_and_changes_nothing() -> None:
    service = await fake_service()
    await grant(service, Subject.org("o1"), 3)
    await grant(service, Subject.user("u1"), 2)
    before = (list(service.books.ledger), list(service.state.outbox))

    with pytest.raises(InsufficientCreditsError) as refused:
        await service.consume(consume(4, org_id="o1"), uuid4())

    assert (refused.value.required, refused.value.available) == (4, 3)
    assert refused.value.details["user_available"] == 2
    assert (service.books.ledger, service.state.outbox) == before
    assert service.balance("org:o1") == (3, 0)
    assert service.balance("user:u1") == (2, 0)


async def test_a_repeated_key_returns_the_original_result_and_charges_nothing() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 10)
    request = consume(2, key="job-1")

    first = await service.consume(request, uuid4())
    again = await service.consume(request, uuid4())

    assert again.idempotent_replay
    assert not first.idempotent_replay
    assert (again.ledger_entry_id, again.credits_charged, again.balance_after) == (
        first.ledger_entry_id,
        2,
        8,
    )
    assert service.balance("user:u1") == (8, 0)
    assert len(service.books.events("usage.recorded.v1")) == 1


async def test_a_repeat_after_the_balance_ran_out_still_returns_the_original_result() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 2)
    request = consume(2, key="job-1")
    first = await service.consume(request, uuid4())

    again = await service.consume(request, uuid4())

    assert again.idempotent_replay
    assert (again.ledger_entry_id, again.balance_after) == (first.ledger_entry_id, 0)
    assert service.balance("user:u1") == (0, 0)
    assert len(service.books.events("usage.recorded.v1")) == 1


async def test_a_repeat_over_the_rate_limit_returns_the_original_and_announces_nothing() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 100)
    requests = [consume(1, "limited", key=f"job-{n}") for n in range(3)]
    originals = [await service.consume(request, uuid4()) for request in requests]

    again = await service.consume(requests[0], uuid4())

    assert again.idempotent_replay
    assert again.ledger_entry_id == originals[0].ledger_entry_id
    assert service.balance("user:u1") == (97, 0)
    assert service.books.events("rate_limit.exceeded.v1") == []
    with pytest.raises(RateLimitedError):
        await service.consume(consume(1, "limited"), uuid4())


async def test_a_different_payload_under_a_used_key_is_a_conflict_even_when_refused() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 2)
    await service.consume(consume(2, key="job-1"), uuid4())

    with pytest.raises(IdempotencyConflictError):
        await service.consume(consume(5, key="job-1"), uuid4())
    assert service.balance("user:u1") == (0, 0)


async def test_the_same_key_with_a_different_payload_is_a_conflict() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 10)
    await service.consume(consume(2, key="job-1"), uuid4())

    with pytest.raises(IdempotencyConflictError):
        await service.consume(consume(3, key="job-1"), uuid4())
    assert service.balance("user:u1") == (8, 0)


async def test_an_unknown_metric_is_refused_before_anything_is_written() -> None:
    service = await fake_service()
    with pytest.raises(UnknownMetricError):
        await service.consume(consume(1, "telepathy"), uuid4())
    assert service.books.ledger == []
    assert service.books.accounts == {}


async def test_a_free_metric_is_recorded_without_charging() -> None:
    service = await fake_service()
    result = await service.consume(consume(7, "essay_upload"), uuid4())
    assert (result.credits_charged, result.balance_after) == (0, 0)
    assert service.books.events("usage.recorded.v1")[0].data.quantity == 7


async def test_signup_bonuses_are_granted_once_per_new_account() -> None:
    service = await fake_service(policy=make_policy(signup_bonus={"user": 10, "org": 100}))

    await service.consume(consume(1), uuid4())
    await service.consume(consume(1), uuid4())
    await service.consume(consume(1, org_id="o9"), uuid4())

    bonuses = [
        e for e in service.books.ledger if e.movement.reason is CreditMovementReason.SIGNUP_BONUS
    ]
    assert sorted(e.subject.key for e in bonuses) == ["org:o9", "user:u1"]
    assert service.balance("user:u1") == (8, 0)
    assert service.balance("org:o9") == (99, 0)
    assert service.ledger_sums("org:o9") == (99, 0)


async def test_exceeding_a_rate_limit_is_refused_announced_and_not_charged() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 100)
    for _ in range(3):
        await service.consume(consume(1, "limited"), uuid4())
    correlation = uuid4()

    with pytest.raises(RateLimitedError) as refused:
        await service.consume(consume(1, "limited"), correlation)

    assert refused.value.details["window_seconds"] == 60
    assert 0 < refused.value.details["retry_after_seconds"] <= 60
    assert service.balance("user:u1") == (97, 0)
    [event] = service.books.events("rate_limit.exceeded.v1")
    assert (event.data.limit, event.data.current_count, event.correlation_id) == (3, 3, correlation)
    service.clock.advance(61)
    assert (await service.consume(consume(1, "limited"), uuid4())).balance_after == 96


async def test_a_refused_charge_gives_its_rate_limit_usage_back() -> None:
    service = await fake_service()
    with pytest.raises(InsufficientCreditsError):
        await service.consume(consume(1, "limited"), uuid4())
    assert all(not log for log in service.rates.logs.values())


async def test_rate_limits_let_charges_through_when_their_store_is_down() -> None:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 10)
    service.rates.available = False
    assert (await service.consume(consume(1, "limited"), uuid4())).balance_after == 9
