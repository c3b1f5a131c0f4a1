from uuid import uuid4

import pytest

from common_core.domain_enums import AuthorizationStatus, CreditSubjectType
from common_core.models.entitlements_api import (
    ConsumeAuthorizationRequest,
    ConsumeCreditsRequest,
    CreateAuthorizationRequest,
)
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.errors import (
    AuthorizationClosedError,
    AuthorizationNotFoundError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidRequestError,
)
from services.entitlements_service.tests.support.wiring import FakeService, fake_service
from services.entitlements_service.tests.unit.test_consumption import grant


def hold_request(
    quantity: int = 10, key: str = "hold-1", **extra: object
) -> CreateAuthorizationRequest:
    return CreateAuthorizationRequest.model_validate(
        {
            "user_id": "u1",
            "metric": "cj_comparison",
            "quantity": quantity,
            "idempotency_key": key,
            **extra,
        }
    )


def use(quantity: int, key: str | None = None) -> ConsumeAuthorizationRequest:
    return ConsumeAuthorizationRequest(quantity=quantity, idempotency_key=key or uuid4().hex)


async def funded(credits: int = 20) -> FakeService:
    service = await fake_service()
    await grant(service, Subject.user("u1"), credits)
    return service


async def test_a_hold_reserves_credits_without_spending_them() -> None:
    service = await funded(20)
    correlation = uuid4()

    hold = await service.holds.create(hold_request(12), correlation)

    assert (hold.status, hold.credits_reserved, hold.credits_remaining) == (
        AuthorizationStatus.ACTIVE,
        12,
        12,
    )
    assert service.balance("user:u1") == (20, 12)
    assert service.ledger_sums("user:u1") == (20, 12)
    [authorized] = service.books.events("usage.authorized.v1")
    assert (authorized.data.credits_reserved, authorized.correlation_id) == (12, correlation)
    assert service.books.events("credit.balance_changed.v1")[-1].data.available_after == 8


async def test_held_credits_cannot_be_spent_by_anyone_else() -> None:
    service = await funded(20)
    await service.holds.create(hold_request(15), uuid4())
    request = ConsumeCreditsRequest(
        user_id="u1", metric="cj_comparison", quantity=6, idempotency_key="x"
    )
    with pytest.raises(InsufficientCreditsError) as refused:
        await service.consume(request, uuid4())
    assert refused.value.available == 5
    with pytest.raises(InsufficientCreditsError):
        await service.holds.create(hold_request(6, key="hold-2"), uuid4())


async def test_consuming_against_a_hold_spends_the_reserved_credits() -> None:
    service = await funded(20)
    hold = await service.holds.create(hold_request(10), uuid4())

    after = await service.holds.consume(hold.authorization_id, use(4), uuid4())

    assert (after.credits_consumed, after.credits_remaining, after.status) == (
        4,
        6,
        AuthorizationStatus.ACTIVE,
    )
    assert service.balance("user:u1") == (16, 6)
    assert service.ledger_sums("user:u1") == (16, 6)
    [usage] = service.books.events("usage.recorded.v1")
    assert usage.data.authorization_id == hold.authorization_id


async def test_using_up_a_hold_closes_it_and_more_is_refused() -> None:
    service = await funded(20)
    hold = await service.holds.create(hold_request(5), uuid4())
    done = await service.holds.consume(hold.authorization_id, use(5), uuid4())
    assert done.status is AuthorizationStatus.CONSUMED
    with pytest.raises(AuthorizationClosedError):
        await service.holds.consume(hold.authorization_id, use(1), uuid4())


async def test_consuming_more_than_the_hold_has_left_is_402_and_changes_nothing() -> None:
    service = await funded(20)
    hold = await service.holds.create(hold_request(5), uuid4())
    with pytest.raises(InsufficientCreditsError) as refused:
        await service.holds.consume(hold.authorization_id, use(6), uuid4())
    assert (refused.value.required, refused.value.available) == (6, 5)
    assert service.balance("user:u1") == (20, 5)


async def test_a_repeated_hold_consumption_key_charges_once() -> None:
    service = await funded(20)
    hold = await service.holds.create(hold_request(10), uuid4())
    await service.holds.consume(hold.authorization_id, use(3, "step-1"), uuid4())
    again = await service.holds.consume(hold.authorization_id, use(3, "step-1"), uuid4())
    assert again.idempotent_replay
    assert again.credits_consumed == 3
    with pytest.raises(IdempotencyConflictError):
        await service.holds.consume(hold.authorization_id, use(4, "step-1"), uuid4())


async def test_releasing_returns_the_remainder_once() -> None:
    service = await funded(20)
    hold = await service.holds.create(hold_request(10), uuid4())
    await service.holds.consume(hold.authorization_id, use(4), uuid4())

    released = await service.holds.release(hold.authorization_id, uuid4(), note="job done")
    again = await service.holds.release(hold.authorization_id, uuid4())

    assert released.status is AuthorizationStatus.RELEASED
    assert not released.idempotent_replay
    assert again.idempotent_replay
    assert service.balance("user:u1") == (16, 0)
    assert service.ledger_sums("user:u1") == (16, 0)
    assert service.books.ledger[-1].movement.note == "job done"


async def test_expired_holds_return_their_credit_and_refuse_consumption() -> None:
    service = await funded(20)
    hold = await service.holds.create(hold_request(10, ttl_seconds=60), uuid4())
    service.clock.advance(61)

    with pytest.raises(AuthorizationClosedError) as refused:
        await service.holds.consume(hold.authorization_id, use(1), uuid4())
    assert refused.value.details["status"] == "expired"
    assert await service.holds.expire_due(batch_size=10) == 1

    assert service.balance("user:u1") == (20, 0)
    assert service.books.holds[hold.authorization_id].status is AuthorizationStatus.EXPIRED
    assert service.ledger_sums("user:u1") == (20, 0)
    assert await service.holds.expire_due(batch_size=10) == 0


async def test_another_users_hold_is_not_found() -> None:
    service = await funded(20)
    hold = await service.holds.create(hold_request(10), uuid4())
    with pytest.raises(AuthorizationNotFoundError):
        await service.holds.consume(hold.authorization_id, use(1), uuid4(), caller_user_id="u2")
    with pytest.raises(AuthorizationNotFoundError):
        await service.holds.release(uuid4(), uuid4())


async def test_a_repeated_create_returns_the_same_hold_and_a_changed_one_conflicts() -> None:
    service = await funded(20)
    first = await service.holds.create(hold_request(10), uuid4())
    again = await service.holds.create(hold_request(10), uuid4())
    assert again.idempotent_replay
    assert again.authorization_id == first.authorization_id
    assert service.balance("user:u1") == (20, 10)
    with pytest.raises(IdempotencyConflictError):
        await service.holds.create(hold_request(11), uuid4())


async def test_the_org_holds_when_it_can_cover_the_whole_reservation() -> None:
    service = await funded(20)
    await grant(service, Subject.org("o1"), 10)
    hold = await service.holds.create(hold_request(10, org_id="o1"), uuid4())
    assert hold.charged_subject_type is CreditSubjectType.ORG
    assert service.balance("org:o1") == (10, 10)


async def test_a_ttl_beyond_the_maximum_is_refused() -> None:
    service = await funded(20)
    with pytest.raises(InvalidRequestError):
        await service.holds.create(hold_request(1, ttl_seconds=999_999), uuid4())
