"""Phase 1 matching on the real database: the inbox makes a redelivery a no-op, and monitor
replicas racing each other or a teacher decide each association once."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest
from dishka import AsyncContainer
from prometheus_client import CollectorRegistry

from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from services.class_management_service.config import Settings
from services.class_management_service.domain.commands import EssayDecision, ReviewAction
from services.class_management_service.domain.errors import (
    AssociationAlreadyResolvedError,
    UnknownClassError,
)
from services.class_management_service.domain.rules import unknown_student_email
from services.class_management_service.handlers.review import ReviewHandlers
from services.class_management_service.tests.fakes import ManualClock
from services.class_management_service.tests.unit.matching_setup import (
    Batch,
    suggested_batch,
    suggestions_event,
)
from services.class_management_service.tests.wiring import sql_container, use_cases_of
from services.class_management_service.workers.timeout_schedule import sweep_once

pytestmark = pytest.mark.integration
Sql = Callable[..., Awaitable[list[Any]]]
CONFIRMED = "huleedu.class_management.student_associations.confirmed.v1"
TEACHER = "teacher-1"


@pytest.fixture(autouse=True)
def correlation() -> Iterator[None]:
    with correlation_scope(CorrelationContext.generate()):
        yield


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def container(settings: Settings, clock: ManualClock) -> AsyncIterator[AsyncContainer]:
    # Timeout after 24 h, confidence >= 0.7 keeps the suggestion, three batches per page.
    tuned = settings.model_copy(
        update={
            "ASSOCIATION_TIMEOUT_HOURS": 24.0,
            "ASSOCIATION_CONFIDENCE_THRESHOLD": 0.7,
            "ASSOCIATION_MONITOR_BATCH_LIMIT": 3,
        }
    )
    async with sql_container(tuned, clock) as container:
        yield container


async def test_a_redelivered_event_is_a_no_op_through_the_inbox(
    container: AsyncContainer, sql: Sql
) -> None:
    async with use_cases_of(container) as use_cases:
        batch = await suggested_batch(use_cases, TEACHER, [0.8, None])
    async with use_cases_of(container) as use_cases:
        handler = use_cases.suggestions
        event_id = uuid4()

        first = await handler.handle(
            event_id, suggestions_event(uuid4(), batch.class_id, [(uuid4(), None, 0.0)])
        )
        again = await handler.handle(
            event_id, suggestions_event(uuid4(), batch.class_id, [(uuid4(), None, 0.0)])
        )

    assert (first, again) == (1, 0)
    assert len(await sql("SELECT id FROM essay_student_associations")) == 3
    assert len(await sql("SELECT event_id FROM processed_events")) == 2


async def test_an_unknown_class_leaves_no_trace(container: AsyncContainer, sql: Sql) -> None:
    async with use_cases_of(container) as use_cases:
        handler = use_cases.suggestions
        with pytest.raises(UnknownClassError):
            await handler.handle(
                uuid4(), suggestions_event(uuid4(), uuid4(), [(uuid4(), None, 0.0)])
            )
    assert await sql("SELECT * FROM processed_events") == []


async def _batches(container: AsyncContainer, count: int) -> list[Batch]:
    batches = []
    for _ in range(count):
        async with use_cases_of(container) as use_cases:
            batches.append(await suggested_batch(use_cases, TEACHER, [0.9, 0.3, None]))
    return batches


async def test_two_replicas_decide_each_association_once(
    container: AsyncContainer, clock: ManualClock, sql: Sql
) -> None:
    batches = await _batches(container, 7)
    # Every batch of one class as well, so the replicas race for its UNKNOWN student.
    shared_class = batches[0]
    async with use_cases_of(container) as use_cases:
        for _ in range(4):
            event = suggestions_event(uuid4(), shared_class.class_id, [(uuid4(), None, 0.0)])
            await use_cases.suggestions.handle(uuid4(), event)
    clock.advance(hours=24, seconds=1)

    results = await asyncio.gather(*[sweep_once(container) for _ in range(3)])

    assert sum(result.batches_completed for result in results) == 11
    assert sum(result.associations_resolved for result in results) == 7 * 3 + 4
    confirmed = await sql("SELECT aggregate_id FROM event_outbox WHERE topic = :t", t=CONFIRMED)
    assert len(confirmed) == len({row.aggregate_id for row in confirmed}) == 11
    pending = await sql(
        "SELECT id FROM essay_student_associations WHERE validation_status = 'pending_validation'"
    )
    assert pending == []
    unknown = await sql(
        "SELECT id FROM students WHERE email = :email",
        email=unknown_student_email(shared_class.class_id),
    )
    assert len(unknown) == 1
    unknown_created = await sql(
        "SELECT id FROM event_outbox WHERE topic LIKE '%student.created%' AND aggregate_id = :id",
        id=str(unknown[0].id),
    )
    assert len(unknown_created) == 1


async def test_a_teacher_and_the_monitor_racing_decide_the_batch_once(
    container: AsyncContainer, clock: ManualClock, sql: Sql
) -> None:
    for _ in range(5):
        [batch] = await _batches(container, 1)
        clock.advance(hours=25)
        decisions = [EssayDecision(essay, ReviewAction.REJECT) for essay in batch.essays]
        async with use_cases_of(container) as use_cases:
            teacher, _ = await asyncio.gather(
                _confirm_or_refused(use_cases.reviews, batch, decisions), sweep_once(container)
            )

        methods = await sql(
            "SELECT DISTINCT validation_method FROM essay_student_associations WHERE batch_id = :b",
            b=batch.batch_id,
        )
        assert [row.validation_method for row in methods] == ["human" if teacher else "timeout"]
        events = await sql(
            "SELECT id FROM event_outbox WHERE topic = :t AND aggregate_id = :b",
            t=CONFIRMED,
            b=str(batch.batch_id),
        )
        assert len(events) == 1


async def _confirm_or_refused(
    reviews: ReviewHandlers, batch: Batch, decisions: list[EssayDecision]
) -> bool:
    try:
        await reviews.confirm(TEACHER, batch.batch_id, decisions)
    except AssociationAlreadyResolvedError:
        return False
    return True


async def test_matches_decisions_and_timeouts_are_counted_once_committed(
    container: AsyncContainer, clock: ManualClock
) -> None:
    async with use_cases_of(container) as use_cases:
        batch = await suggested_batch(use_cases, TEACHER, [0.9, 0.3, None])
    async with use_cases_of(container) as use_cases:
        assert await use_cases.suggestions.handle(uuid4(), batch.event) == 0  # stored already
        decision = EssayDecision(batch.essays[0], ReviewAction.REJECT)
        await use_cases.reviews.confirm(TEACHER, batch.batch_id, [decision])
    clock.advance(hours=24, seconds=1)
    await sweep_once(container)

    registry = await container.get(CollectorRegistry)

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    assert value("class_management_matches_total", outcome="suggested") == 2
    assert value("class_management_matches_total", outcome="unmatched") == 1
    assert value("class_management_matches_total", outcome="confirmed") == 1
    assert value("class_management_match_timeouts_total") == 2
