"""Every event this service publishes, produced by the real use cases, matches the published
JSON Schema snapshot of its topic in common_core and decodes through the registry; the event it
consumes, shaped as its snapshot allows, is accepted by its handler."""

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]

import common_core
from common_core.events import class_management as events
from common_core.events.base import EventPayload
from common_core.events.codec import decode_envelope, encode_envelope
from common_core.events.registry import ProcessingEvent, topic_name
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.outbox import OutboxEvent
from services.class_management_service.config import Settings
from services.class_management_service.domain.commands import (
    CreateClass,
    CreateStudent,
    EssayDecision,
    ReviewAction,
    UpdateClass,
    UpdateStudent,
)
from services.class_management_service.tests.fakes import (
    FakeNotifier,
    InMemoryDatabase,
    ManualClock,
)
from services.class_management_service.tests.unit.matching_setup import suggested_batch
from services.class_management_service.tests.wiring import (
    UseCases,
    in_memory_use_cases,
    unit_settings,
)

pytestmark = pytest.mark.contract
SNAPSHOTS = Path(common_core.__file__).parents[2] / "schemas"
TEACHER = "teacher-1"
Scenario = Callable[[UseCases, ManualClock], Awaitable[None]]


def _settings() -> Settings:
    # The monitor's policy: after 24 h, a confidence >= 0.7 keeps the suggestion.
    return unit_settings(
        ASSOCIATION_TIMEOUT_HOURS=24,
        ASSOCIATION_CONFIDENCE_THRESHOLD=0.7,
        ASSOCIATION_MONITOR_BATCH_LIMIT=10,
    )


@pytest.fixture(autouse=True)
def correlation() -> Iterator[None]:
    with correlation_scope(CorrelationContext.generate()):
        yield


async def _class_lifecycle(use_cases: UseCases, clock: ManualClock) -> None:
    classes = use_cases.classes
    created = await classes.create(TEACHER, CreateClass("9A", ["SV2"]))
    await classes.update(TEACHER, created.school_class.id, UpdateClass(name="9B"))
    await classes.delete(TEACHER, created.school_class.id)


async def _student_lifecycle(use_cases: UseCases, clock: ManualClock) -> None:
    class_id = (
        await use_cases.classes.create(TEACHER, CreateClass("9A", ["ENG7"]))
    ).school_class.id
    students = use_cases.students
    created = await students.create(TEACHER, CreateStudent("Åsa", "Öberg", "asa@x.se", [class_id]))
    await students.update(TEACHER, created.student.id, UpdateStudent(email="asa.o@x.se"))
    await students.delete(TEACHER, created.student.id)


async def _teacher_confirmation(use_cases: UseCases, clock: ManualClock) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9, None])
    decisions = [
        EssayDecision(batch.essays[0], ReviewAction.ACCEPT),
        EssayDecision(batch.essays[1], ReviewAction.REJECT),
    ]
    await use_cases.reviews.confirm(TEACHER, batch.batch_id, decisions)


async def _timeout_confirmation(use_cases: UseCases, clock: ManualClock) -> None:
    await suggested_batch(use_cases, TEACHER, [0.95, 0.1])
    clock.advance(hours=25)
    await use_cases.monitor.sweep()


SCENARIOS: dict[type[EventPayload], Scenario] = {
    events.ClassCreatedV1: _class_lifecycle,
    events.ClassUpdatedV1: _class_lifecycle,
    events.ClassDeletedV1: _class_lifecycle,
    events.StudentCreatedV1: _student_lifecycle,
    events.StudentUpdatedV1: _student_lifecycle,
    events.StudentDeletedV1: _student_lifecycle,
    events.StudentAssociationsConfirmedV1: _teacher_confirmation,
}


def _validator(topic: str) -> Draft202012Validator:
    schema = json.loads((SNAPSHOTS / f"{topic}.json").read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


async def _published(scenario: Scenario, kind: type[EventPayload]) -> list[OutboxEvent]:
    db, clock = InMemoryDatabase(), ManualClock()
    async with in_memory_use_cases(_settings(), db, clock, FakeNotifier()) as use_cases:
        await scenario(use_cases, clock)
    found = [item for item in db.outbox if type(item.envelope.data) is kind]
    assert found, f"the scenario published no {kind.__name__}"
    return found


@pytest.mark.parametrize("kind", list(SCENARIOS), ids=lambda kind: kind.__name__)
async def test_published_events_match_their_topic_snapshot(kind: type[EventPayload]) -> None:
    for pending in await _published(SCENARIOS[kind], kind):
        topic = pending.envelope.event_type
        raw = encode_envelope(pending.envelope)
        errors = [error.message for error in _validator(topic).iter_errors(json.loads(raw))]
        assert errors == []
        assert decode_envelope(topic, raw) == pending.envelope


async def test_timeout_confirmation_matches_the_snapshot_too() -> None:
    kind = events.StudentAssociationsConfirmedV1
    [pending] = await _published(_timeout_confirmation, kind)
    topic = pending.envelope.event_type
    instance = json.loads(encode_envelope(pending.envelope))
    assert list(_validator(topic).iter_errors(instance)) == []
    assert instance["data"]["timeout_triggered"] is True


def _suggestions_wire_message(class_id: str, student_id: str) -> dict[str, Any]:
    # As an NLP service would write it, with a field this consumer does not know yet.
    return {
        "event_id": str(uuid4()),
        "event_type": topic_name(ProcessingEvent.BATCH_AUTHOR_MATCHES_SUGGESTED),
        "event_timestamp": "2026-11-22T08:00:00Z",
        "source_service": "nlp_service",
        "schema_version": 1,
        "correlation_id": str(uuid4()),
        "data": {
            "batch_id": str(uuid4()),
            "class_id": class_id,
            "match_results": [
                {
                    "essay_id": str(uuid4()),
                    "suggestions": [
                        {
                            "student_id": student_id,
                            "student_name": "Ada L",
                            "confidence_score": 0.88,
                            "match_reasons": ["name in header"],
                        }
                    ],
                    "future_field": "ignored",
                }
            ],
        },
        "metadata": {},
    }


async def test_the_consumed_event_is_accepted_as_its_snapshot_describes() -> None:
    db = InMemoryDatabase()
    async with in_memory_use_cases(_settings(), db, ManualClock(), FakeNotifier()) as use_cases:
        batch = await suggested_batch(use_cases, TEACHER, [None])
        message = _suggestions_wire_message(str(batch.class_id), str(batch.students[0]))
        topic = message["event_type"]
        assert list(_validator(topic).iter_errors(message)) == []

        envelope = decode_envelope(topic, json.dumps(message))
        assert isinstance(envelope.data, events.BatchAuthorMatchesSuggestedV1)
        stored = await use_cases.suggestions.handle(envelope.event_id, envelope.data)

    assert stored == 1
    [association] = [a for a in db.associations.values() if a.batch_id == envelope.data.batch_id]
    assert (association.suggested_student_id, association.confidence_score) == (
        batch.students[0],
        0.88,
    )
