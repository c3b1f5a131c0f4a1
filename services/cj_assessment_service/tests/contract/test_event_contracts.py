"""What CJ publishes and consumes matches the common_core registry."""

from __future__ import annotations

from uuid import uuid4

import pytest

from common_core.events.codec import decode_envelope, encode_envelope
from common_core.events.registry import (
    ProcessingEvent,
    spec_for_topic,
    topic_name,
    topics_consumed_by,
    topics_produced_by,
)
from common_core.service_names import ServiceName
from services.cj_assessment_service.config import load_service_settings
from services.cj_assessment_service.handlers.requests import BatchAssessment
from services.cj_assessment_service.tests.support.fakes import ScriptedJudge
from services.cj_assessment_service.tests.support.harness import (
    TEACHER,
    harnesses,
    simulated_judge,
)
from services.cj_assessment_service.workers.consumers import subscriptions

pytestmark = pytest.mark.contract


def test_the_worker_consumes_exactly_the_registered_topics_with_their_payloads() -> None:
    settings = load_service_settings(DATABASE_URL="postgresql+asyncpg://x@localhost/x")
    subscribed = subscriptions(settings)
    assert sorted(s.topic for s in subscribed) == sorted(
        topics_consumed_by(ServiceName.CJ_ASSESSMENT)
    )
    for subscription in subscribed:
        assert subscription.payload is spec_for_topic(subscription.topic).payload_model


async def test_the_events_of_a_completed_and_a_failed_assessment_are_the_registered_ones() -> None:
    async with harnesses() as make:
        completed = await make(judge=ScriptedJudge(simulated_judge()))
        batch = await completed.provision([-1.0, 0.0, 1.0, 2.0])
        await completed.start(_command(batch))
        await completed.worker.drain()
        failed = await make(judge=ScriptedJudge(simulated_judge(), lambda _task: "invalid"))
        batch = await failed.provision([-1.0, 0.0, 1.0])
        await failed.start(_command(batch))
        await failed.worker.drain()
        envelopes = completed.state.envelopes() + failed.state.envelopes()
    for envelope in envelopes:
        assert decode_envelope(envelope.event_type, encode_envelope(envelope)) == envelope
        assert envelope.source_service == ServiceName.CJ_ASSESSMENT.value
    published = {spec_for_topic_of(e.event_type) for e in envelopes}
    # The registry also names CJ as a producer of resource consumption (usage reported by event);
    # CJ pays through entitlements' holds over HTTP instead, so it never publishes that topic.
    by_event = set(topics_produced_by(ServiceName.CJ_ASSESSMENT)) - {
        topic_name(ProcessingEvent.RESOURCE_CONSUMPTION)
    }
    assert published == by_event


def spec_for_topic_of(event_type: str) -> str:
    return spec_for_topic(event_type).topic


def _command(batch: object) -> BatchAssessment:
    return BatchAssessment(user_id=TEACHER, org_id=None, batch_id=batch, correlation_id=uuid4())  # type: ignore[arg-type]
