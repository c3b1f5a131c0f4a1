from collections.abc import Callable
from uuid import uuid4

import pytest

from common_core.domain_enums import AssociationStatus, ValidationMethod
from common_core.events.class_management import StudentAssociationsConfirmedV1
from services.class_management_service.domain.commands import EssayDecision, ReviewAction
from services.class_management_service.domain.errors import (
    AssociationAlreadyResolvedError,
    AssociationNotFoundError,
    BatchNotFoundError,
    InvalidInputError,
    StudentNotFoundError,
    UnknownClassError,
)
from services.class_management_service.tests.fakes import (
    FakeNotifier,
    InMemoryDatabase,
    ManualClock,
)
from services.class_management_service.tests.unit.conftest import OTHER_TEACHER, TEACHER
from services.class_management_service.tests.unit.matching_setup import (
    Batch,
    class_with_roster,
    suggested_batch,
    suggestions_event,
)
from services.class_management_service.tests.wiring import UseCases

ACCEPT, CHOOSE, REJECT = ReviewAction.ACCEPT, ReviewAction.CHOOSE, ReviewAction.REJECT


async def test_suggestions_are_stored_pending_with_their_confidence(
    use_cases: UseCases, notifier: FakeNotifier
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.92, None])

    review = await use_cases.reviews.review(TEACHER, batch.batch_id)

    by_essay = {association.essay_id: association for association in review.associations}
    first, second = by_essay[batch.essays[0]], by_essay[batch.essays[1]]
    assert (first.essay_id, first.suggested_student_id, first.confidence_score) == (
        batch.essays[0],
        batch.students[0],
        0.92,
    )
    assert first.validation_status is AssociationStatus.PENDING_VALIDATION
    assert first.validation_method is None
    assert (second.suggested_student_id, second.no_match_reason) == (None, "no name found")
    assert review.pending_count == 2
    assert {student.id for student in review.roster} == set(batch.students)
    assert notifier.kinds()[-1] == "student_associations_suggested"


async def test_a_redelivered_event_changes_nothing(
    use_cases: UseCases, db: InMemoryDatabase
) -> None:
    class_id, students = await class_with_roster(use_cases, TEACHER)
    event = suggestions_event(uuid4(), class_id, [(uuid4(), students[0], 0.8)])
    handler = use_cases.suggestions
    event_id = uuid4()

    assert await handler.handle(event_id, event) == 1
    stored = dict(db.associations)
    assert await handler.handle(event_id, event) == 0
    assert await handler.handle(uuid4(), event) == 0  # same essays in another event: kept once
    assert db.associations == stored


async def test_a_suggested_student_outside_the_class_is_not_kept(
    use_cases: UseCases, db: InMemoryDatabase
) -> None:
    class_id, _ = await class_with_roster(use_cases, TEACHER)
    _, outsiders = await class_with_roster(use_cases, TEACHER)
    event = suggestions_event(uuid4(), class_id, [(uuid4(), outsiders[0], 0.99)])

    await use_cases.suggestions.handle(uuid4(), event)

    [association] = db.associations.values()
    assert (association.suggested_student_id, association.confidence_score) == (None, None)
    assert association.no_match_reason == "no suggested student is on the class roster"


async def test_an_unknown_class_is_refused_without_claiming_the_event(
    use_cases: UseCases, db: InMemoryDatabase
) -> None:
    event = suggestions_event(uuid4(), uuid4(), [(uuid4(), None, 0.0)])
    with pytest.raises(UnknownClassError):
        await use_cases.suggestions.handle(uuid4(), event)
    assert (db.associations, db.processed) == ({}, set())


async def test_confirming_every_essay_publishes_one_event(
    use_cases: UseCases, clock: ManualClock, db: InMemoryDatabase
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9, 0.4, None])
    reviews = use_cases.reviews
    clock.advance(hours=1)

    partial = await reviews.confirm(
        TEACHER, batch.batch_id, [EssayDecision(batch.essays[0], ACCEPT)]
    )
    assert (partial.completed, db.payloads(StudentAssociationsConfirmedV1)) == (False, [])

    done = await reviews.confirm(
        TEACHER,
        batch.batch_id,
        [
            EssayDecision(batch.essays[1], CHOOSE, batch.students[2]),
            EssayDecision(batch.essays[2], REJECT),
        ],
    )

    assert done.completed is True
    [event] = db.payloads(StudentAssociationsConfirmedV1)
    assert (event.batch_id, event.class_id, event.timeout_triggered) == (
        batch.batch_id,
        batch.class_id,
        False,
    )
    assert {a.essay_id: (a.student_id, a.status) for a in event.associations} == {
        batch.essays[0]: (batch.students[0], AssociationStatus.CONFIRMED),
        batch.essays[1]: (batch.students[2], AssociationStatus.CONFIRMED),
        batch.essays[2]: (None, AssociationStatus.REJECTED),
    }
    assert {(a.validation_method, a.validated_by, a.validated_at) for a in event.associations} == {
        (ValidationMethod.HUMAN, TEACHER, clock.now())
    }
    assert {a.essay_id: a.confidence_score for a in event.associations} == {
        batch.essays[0]: 0.9,
        batch.essays[1]: 0.4,
        batch.essays[2]: None,
    }


async def test_confirming_twice_changes_and_publishes_nothing_new(
    use_cases: UseCases, clock: ManualClock, db: InMemoryDatabase
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9])
    reviews = use_cases.reviews
    decisions = [EssayDecision(batch.essays[0], ACCEPT)]
    await reviews.confirm(TEACHER, batch.batch_id, decisions)
    rows, events = dict(db.associations), len(db.outbox)
    clock.advance(minutes=3)

    again = await reviews.confirm(TEACHER, batch.batch_id, decisions)

    assert again.completed is False
    assert (db.associations, len(db.outbox)) == (rows, events)


async def test_a_different_second_decision_is_refused(
    use_cases: UseCases, db: InMemoryDatabase
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9, 0.9])
    reviews = use_cases.reviews
    await reviews.confirm(TEACHER, batch.batch_id, [EssayDecision(batch.essays[0], ACCEPT)])
    rows = dict(db.associations)

    with pytest.raises(AssociationAlreadyResolvedError):
        await reviews.confirm(
            TEACHER,
            batch.batch_id,
            [EssayDecision(batch.essays[1], ACCEPT), EssayDecision(batch.essays[0], REJECT)],
        )
    assert db.associations == rows  # all or nothing


@pytest.mark.parametrize(
    ("decision", "error"),
    [
        (lambda b: EssayDecision(uuid4(), ACCEPT), AssociationNotFoundError),
        (lambda b: EssayDecision(b.essays[0], CHOOSE, uuid4()), StudentNotFoundError),
        (lambda b: EssayDecision(b.essays[0], CHOOSE), InvalidInputError),
        (lambda b: EssayDecision(b.essays[1], ACCEPT), InvalidInputError),
    ],
)
async def test_impossible_decisions_are_refused(
    use_cases: UseCases,
    db: InMemoryDatabase,
    decision: Callable[[Batch], EssayDecision],
    error: type[Exception],
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9, None])
    rows = dict(db.associations)
    with pytest.raises(error):
        await use_cases.reviews.confirm(TEACHER, batch.batch_id, [decision(batch)])
    assert db.associations == rows


async def test_repeated_essays_and_empty_requests_are_refused(use_cases: UseCases) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9])
    reviews = use_cases.reviews
    twice = [EssayDecision(batch.essays[0], ACCEPT), EssayDecision(batch.essays[0], REJECT)]
    with pytest.raises(InvalidInputError):
        await reviews.confirm(TEACHER, batch.batch_id, twice)
    with pytest.raises(InvalidInputError):
        await reviews.confirm(TEACHER, batch.batch_id, [])


async def test_another_teachers_batch_does_not_exist_for_you(use_cases: UseCases) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9])
    reviews = use_cases.reviews
    with pytest.raises(BatchNotFoundError):
        await reviews.review(OTHER_TEACHER, batch.batch_id)
    with pytest.raises(BatchNotFoundError):
        await reviews.confirm(
            OTHER_TEACHER, batch.batch_id, [EssayDecision(batch.essays[0], ACCEPT)]
        )
    with pytest.raises(BatchNotFoundError):
        await reviews.review(TEACHER, uuid4())


async def test_the_review_still_names_a_suggested_student_who_left_the_roster(
    use_cases: UseCases,
) -> None:
    batch = await suggested_batch(use_cases, TEACHER, [0.9, 0.8])
    await use_cases.roster.remove(TEACHER, batch.class_id, batch.students[0])

    review = await use_cases.reviews.review(TEACHER, batch.batch_id)

    assert [student.id for student in review.former_members] == [batch.students[0]]
    assert batch.students[0] not in {student.id for student in review.roster}
