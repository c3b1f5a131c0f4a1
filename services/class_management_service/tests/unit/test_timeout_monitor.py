from uuid import uuid4

import pytest

from common_core.domain_enums import AssociationStatus, ValidationMethod
from common_core.events.class_management import (
    StudentAssociationsConfirmedV1,
    StudentCreatedV1,
)
from services.class_management_service.config import Settings
from services.class_management_service.domain.commands import EssayDecision, ReviewAction
from services.class_management_service.domain.rules import unknown_student_email
from services.class_management_service.handlers.timeout_monitor import (
    AssociationTimeoutMonitor,
)
from services.class_management_service.tests.fakes import (
    InMemoryDatabase,
    ManualClock,
)
from services.class_management_service.tests.unit.conftest import TEACHER
from services.class_management_service.tests.unit.matching_setup import (
    suggested_batch,
    suggestions_event,
)
from services.class_management_service.tests.wiring import UseCases, unit_settings


@pytest.fixture
def settings() -> Settings:
    return unit_settings(
        ASSOCIATION_TIMEOUT_HOURS=24,
        ASSOCIATION_CONFIDENCE_THRESHOLD=0.7,
        ASSOCIATION_MONITOR_BATCH_LIMIT=2,
    )


@pytest.fixture
def monitor(use_cases: UseCases) -> AssociationTimeoutMonitor:
    return use_cases.monitor


async def test_nothing_is_decided_before_the_timeout(
    monitor: AssociationTimeoutMonitor, use_cases: UseCases, clock: ManualClock
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9])
    clock.advance(hours=23, minutes=59)

    result = await monitor.sweep()

    assert (result.batches_completed, result.associations_resolved) == (0, 0)
    async with use_cases.uow.read_only() as uow:
        assert (await uow.associations.for_batch(batch.batch_id))[0].is_pending


async def test_after_the_timeout_confidence_decides_between_suggestion_and_unknown(
    monitor: AssociationTimeoutMonitor,
    use_cases: UseCases,
    clock: ManualClock,
    db: InMemoryDatabase,
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.7, 0.69, None])
    clock.advance(hours=24)

    result = await monitor.sweep()

    async with use_cases.uow.read_only() as uow:
        unknown = await uow.students.find_by_email(TEACHER, unknown_student_email(batch.class_id))
        assert unknown is not None
        assert (unknown.first_name, unknown.last_name) == ("Unknown", "Student")
        assert unknown.id in await uow.memberships.member_ids(batch.class_id)
    [event] = db.payloads(StudentAssociationsConfirmedV1)
    assert event.timeout_triggered is True
    decided = {a.essay_id: a.student_id for a in event.associations}
    assert decided == {
        batch.essays[0]: batch.students[0],
        batch.essays[1]: unknown.id,
        batch.essays[2]: unknown.id,
    }
    assert {(a.status, a.validation_method, a.validated_at) for a in event.associations} == {
        (AssociationStatus.TIMEOUT_CONFIRMED, ValidationMethod.TIMEOUT, clock.now())
    }
    assert (result.batches_completed, result.associations_resolved) == (1, 3)


async def test_the_unknown_student_is_created_once_per_class(
    monitor: AssociationTimeoutMonitor,
    use_cases: UseCases,
    clock: ManualClock,
    db: InMemoryDatabase,
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [None, 0.1])
    suggestions = use_cases.suggestions
    for _ in range(2):  # two more batches of the same class, decided in two sweeps
        event = suggestions_event(uuid4(), batch.class_id, [(uuid4(), None, 0.0)])
        await suggestions.handle(uuid4(), event)
        clock.advance(hours=25)
        await monitor.sweep()

    unknown_created = [
        event
        for event in db.payloads(StudentCreatedV1)
        if event.email == unknown_student_email(batch.class_id)
    ]
    assert len(unknown_created) == 1
    decided = {
        a.student_id for e in db.payloads(StudentAssociationsConfirmedV1) for a in e.associations
    }
    assert decided == {unknown_created[0].student_id}
    assert len(db.payloads(StudentAssociationsConfirmedV1)) == 3


async def test_a_teachers_decision_is_never_replaced(
    monitor: AssociationTimeoutMonitor,
    use_cases: UseCases,
    clock: ManualClock,
    db: InMemoryDatabase,
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.95, 0.2])
    await use_cases.reviews.confirm(
        TEACHER, batch.batch_id, [EssayDecision(batch.essays[0], ReviewAction.REJECT)]
    )
    clock.advance(hours=30)

    await monitor.sweep()

    [event] = db.payloads(StudentAssociationsConfirmedV1)
    by_essay = {a.essay_id: a for a in event.associations}
    assert (by_essay[batch.essays[0]].status, by_essay[batch.essays[0]].student_id) == (
        AssociationStatus.REJECTED,
        None,
    )
    assert by_essay[batch.essays[0]].validation_method is ValidationMethod.HUMAN
    assert by_essay[batch.essays[1]].validation_method is ValidationMethod.TIMEOUT


async def test_a_second_sweep_decides_and_publishes_nothing_more(
    monitor: AssociationTimeoutMonitor,
    use_cases: UseCases,
    clock: ManualClock,
    db: InMemoryDatabase,
) -> None:
    await suggested_batch(use_cases, TEACHER, [0.9, None])
    clock.advance(hours=24)
    await monitor.sweep()
    rows, events = dict(db.associations), len(db.outbox)

    clock.advance(hours=48)
    result = await monitor.sweep()

    assert (result.batches_completed, result.associations_resolved) == (0, 0)
    assert (db.associations, len(db.outbox)) == (rows, events)


async def test_a_batch_held_elsewhere_is_left_for_the_next_sweep(
    monitor: AssociationTimeoutMonitor,
    use_cases: UseCases,
    clock: ManualClock,
    db: InMemoryDatabase,
) -> None:
    held = await suggested_batch(use_cases, TEACHER, [0.9])
    free = await suggested_batch(use_cases, TEACHER, [0.9])
    db.locks_held_elsewhere.add(held.batch_id)
    clock.advance(hours=24)

    first = await monitor.sweep()
    db.locks_held_elsewhere.clear()
    second = await monitor.sweep()

    assert (first.batches_completed, second.batches_completed) == (1, 1)
    completed = [event.batch_id for event in db.payloads(StudentAssociationsConfirmedV1)]
    assert completed == [free.batch_id, held.batch_id]


async def test_more_due_batches_than_one_page_are_all_decided_in_one_sweep(
    monitor: AssociationTimeoutMonitor, use_cases: UseCases, clock: ManualClock
) -> None:
    for _ in range(5):
        await suggested_batch(use_cases, TEACHER, [0.9])
    clock.advance(hours=24)

    result = await monitor.sweep()

    assert result.batches_completed == 5
