"""What this service publishes and consumes matches the common_core registry."""

import contextlib
from uuid import uuid4

import pytest

from common_core.events.codec import decode_envelope, encode_envelope
from common_core.events.registry import topics_consumed_by, topics_produced_by
from common_core.models.entitlements_api import (
    ConsumeAuthorizationRequest,
    ConsumeCreditsRequest,
    CreateAuthorizationRequest,
)
from common_core.service_names import ServiceName
from services.entitlements_service.config import Settings
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.errors import RateLimitedError
from services.entitlements_service.tests.support.wiring import FakeService, fake_service
from services.entitlements_service.tests.unit.test_consumption import grant

pytestmark = pytest.mark.contract


async def _every_event_kind() -> FakeService:
    service = await fake_service()
    await grant(service, Subject.user("u1"), 100)
    hold = await service.holds.create(
        CreateAuthorizationRequest(
            user_id="u1", metric="cj_comparison", quantity=5, idempotency_key="h"
        ),
        uuid4(),
    )
    await service.holds.consume(
        hold.authorization_id, ConsumeAuthorizationRequest(quantity=1, idempotency_key="c"), uuid4()
    )
    for _ in range(4):
        request = ConsumeCreditsRequest(
            user_id="u1", metric="limited", quantity=1, idempotency_key=uuid4().hex
        )
        with contextlib.suppress(RateLimitedError):  # the fourth: the event we want
            await service.consume(request, uuid4())
    return service


async def test_every_published_event_decodes_through_the_registry() -> None:
    service = await _every_event_kind()
    published = {envelope.event_type for envelope in service.state.envelopes()}
    for envelope in service.state.envelopes():
        decoded = decode_envelope(envelope.event_type, encode_envelope(envelope))
        assert decoded == envelope
    assert published == set(topics_produced_by(ServiceName.ENTITLEMENTS))


def test_the_consumed_topic_is_the_registered_one() -> None:
    default = Settings(DATABASE_URL="postgresql+asyncpg://x@localhost/x")
    assert topics_consumed_by(ServiceName.ENTITLEMENTS) == [default.RESOURCE_CONSUMPTION_TOPIC]
