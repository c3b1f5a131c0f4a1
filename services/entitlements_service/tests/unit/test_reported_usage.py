from uuid import uuid4

import pytest

from common_core.events.codec import new_envelope
from common_core.events.entitlements import ResourceConsumptionV1
from common_core.events.envelope import EventEnvelope
from common_core.models.entitlements_api import ConsumeCreditsRequest, CreateAuthorizationRequest
from common_core.timestamps import utc_now
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.errors import (
    AuthorizationNotFoundError,
    InsufficientCreditsError,
)
from services.entitlements_service.handlers.reported_usage import ChargeReportedUsage
from services.entitlements_service.tests.support.wiring import FakeService, fake_service
from services.entitlements_service.tests.unit.test_consumption import grant


def reported(
    quantity: int = 3, key: str = "cj-1", **extra: object
) -> EventEnvelope[ResourceConsumptionV1]:
    payload = ResourceConsumptionV1.model_validate(
        {
            "user_id": "u1",
            "metric": "cj_comparison",
            "quantity": quantity,
            "idempotency_key": key,
            "consumed_at": utc_now(),
            **extra,
        }
    )
    return new_envelope(payload, source_service="cj_assessment_service", correlation_id=uuid4())


async def funded() -> tuple[FakeService, ChargeReportedUsage]:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 20)
    return service, service.reported_usage


async def test_each_event_is_charged_once_however_often_it_arrives() -> None:
    service, handler = await funded()
    event = reported()
    for _ in range(3):
        await handler(event)
    assert service.balance("user:u1") == (17, 0)
    [usage] = service.books.events("usage.recorded.v1")
    assert usage.correlation_id == event.correlation_id


async def test_usage_charged_over_http_is_not_charged_again_from_kafka() -> None:
    service, handler = await funded()
    request = ConsumeCreditsRequest(
        user_id="u1", metric="cj_comparison", quantity=3, idempotency_key="cj-1"
    )
    await service.consume(request, uuid4())
    await handler(reported(3, "cj-1"))
    assert service.balance("user:u1") == (17, 0)


async def test_usage_against_a_hold_spends_the_hold_and_checks_its_owner() -> None:
    service, handler = await funded()
    hold = await service.holds.create(
        CreateAuthorizationRequest(
            user_id="u1", metric="cj_comparison", quantity=10, idempotency_key="h"
        ),
        uuid4(),
    )
    await handler(reported(4, authorization_id=hold.authorization_id))
    assert service.balance("user:u1") == (16, 6)
    foreign = reported(1, "other", authorization_id=hold.authorization_id, user_id="u2")
    with pytest.raises(AuthorizationNotFoundError):
        await handler(foreign)
    assert len(service.books.inbox) == 1  # the refused event was not recorded as processed


async def test_an_uncoverable_event_fails_and_stays_unclaimed_for_a_retry() -> None:
    service, handler = await funded()
    event = reported(quantity=50)
    with pytest.raises(InsufficientCreditsError):
        await handler(event)
    assert service.books.inbox == set()
    await grant(service, Subject.user("u1"), 30)
    await handler(event)
    assert service.balance("user:u1") == (0, 0)
