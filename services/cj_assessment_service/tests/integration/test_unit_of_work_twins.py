"""The service's unit of work on PostgreSQL and its in-memory twin pass the same tests, so the
unit tests that run on the twin see what production would: rollback, unique keys, the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from common_core.error_enums import ErrorCode
from huleedu_service_libs.engines import session_factory
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox import OutboxManager
from huleedu_service_libs.unit_of_work import UniqueViolation
from services.cj_assessment_service.config import SERVICE_NAME
from services.cj_assessment_service.handlers.events import emit_refused, emit_started
from services.cj_assessment_service.handlers.support import error_detail
from services.cj_assessment_service.implementations.unit_of_work import AssessmentUnitOfWork
from services.cj_assessment_service.models_db import Assessment, AssessmentEssay, Essay
from services.cj_assessment_service.protocols import UnitOfWorkFactory
from services.cj_assessment_service.tests.support.memory import MemoryState, MemoryUnitOfWork

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 1, tzinfo=UTC)
Outbox = Callable[[], Awaitable[list[tuple[str, str, str]]]]  # aggregate type, id, event type


@dataclass
class Twin:
    uows: UnitOfWorkFactory
    outbox: Outbox


@pytest.fixture(params=["memory_twin", "postgresql_twin"])
def twin(request: pytest.FixtureRequest) -> Twin:
    found: Twin = request.getfixturevalue(request.param)
    return found


@pytest.fixture
def memory_twin() -> Twin:
    state, envelopes = MemoryState(), EnvelopeFactory(SERVICE_NAME)

    async def outbox() -> list[tuple[str, str, str]]:
        return [(e.aggregate_type, e.aggregate_id, e.envelope.event_type) for e in state.outbox]

    return Twin(lambda: MemoryUnitOfWork(state, envelopes), outbox)


@pytest.fixture
async def postgresql_twin(database_url: str) -> AsyncIterator[Twin]:
    engine = create_async_engine(database_url)
    sessions, envelopes = session_factory(engine), EnvelopeFactory(SERVICE_NAME)
    writer = OutboxManager(wakeup=None)

    async def outbox() -> list[tuple[str, str, str]]:
        query = "SELECT aggregate_type, aggregate_id, event_type FROM event_outbox ORDER BY seq"
        async with engine.connect() as connection:
            rows = await connection.execute(text(query))
            return [(row[0], row[1], row[2]) for row in rows]

    try:
        yield Twin(lambda: AssessmentUnitOfWork(sessions, writer, envelopes), outbox)
    finally:
        await engine.dispose()


def _assessment(batch_id: UUID, state: str = "initializing") -> Assessment:
    return Assessment(
        id=uuid4(),
        user_id="teacher-1",
        batch_id=batch_id,
        origin="http",
        language="en",
        course_code="ENG5",
        judge_kind="simulated",
        design={"comparisons_per_essay": 6},
        state=state,
        planned_comparisons=6,
        completed_comparisons=0,
        failed_comparisons=0,
        rounds_done=0,
        correlation_id=uuid4(),
        next_attempt_at=NOW,
        progress_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )


def _participants(assessment: Assessment, count: int = 2) -> list[AssessmentEssay]:
    return [
        AssessmentEssay(assessment_id=assessment.id, position=i, essay_id=uuid4())
        for i in range(count)
    ]


async def _add(twin: Twin, assessment: Assessment) -> None:
    async with twin.uows() as uow:
        await uow.assessments.add(assessment, _participants(assessment))
        emit_started(uow, assessment, essay_count=2)
        await uow.commit()


async def _stored(twin: Twin, assessment_id: UUID) -> Assessment:
    async with twin.uows() as uow:
        found = await uow.assessments.get(assessment_id)
    assert found is not None
    return found


async def test_a_change_not_committed_is_gone(twin: Twin) -> None:
    assessment = _assessment(uuid4())
    await _add(twin, assessment)
    async with twin.uows() as uow:
        loaded = await uow.assessments.get(assessment.id, lock=True)
        assert loaded is not None
        loaded.state = "comparing"
    async with twin.uows() as uow:
        loaded = await uow.assessments.get(assessment.id)
        assert loaded is not None
        loaded.state = "comparing"
        await uow.rollback()
        await uow.commit()
    assert (await _stored(twin, assessment.id)).state == "initializing"


async def test_a_change_after_a_commit_goes_out_with_the_next_commit(twin: Twin) -> None:
    assessment = _assessment(uuid4())
    await _add(twin, assessment)
    async with twin.uows() as uow:
        loaded = await uow.assessments.get(assessment.id, lock=True)
        assert loaded is not None
        loaded.rounds_done = 1
        await uow.commit()
        loaded.rounds_done = 2
        assert await uow.assessments.active_for_batch("teacher-1", assessment.batch_id) is loaded
        await uow.commit()
    assert (await _stored(twin, assessment.id)).rounds_done == 2


async def test_a_second_running_assessment_of_a_batch_is_refused_with_its_events(
    twin: Twin,
) -> None:
    batch_id = uuid4()
    first = _assessment(batch_id)
    await _add(twin, first)
    with pytest.raises(UniqueViolation):
        await _add(twin, _assessment(batch_id))
    assert await twin.outbox() == [
        ("cj_assessment", str(first.id), "huleedu.cj.assessment.started.v1")
    ]
    async with twin.uows() as uow:
        assert [p.position for p in await uow.assessments.participants(first.id)] == [0, 1]


async def test_a_finished_assessment_leaves_its_batch_free(twin: Twin) -> None:
    batch_id = uuid4()
    await _add(twin, _assessment(batch_id, state="completed"))
    again = _assessment(batch_id)
    await _add(twin, again)
    async with twin.uows() as uow:
        assert await uow.assessments.active_for_batch("teacher-1", batch_id) is not None


async def test_a_refused_request_is_keyed_by_its_batch(twin: Twin) -> None:
    batch_id = uuid4()
    detail = error_detail(
        ErrorCode.VALIDATION_ERROR, "too few essays", correlation_id=uuid4(), operation="t"
    )
    async with twin.uows() as uow:
        emit_refused(
            uow, request_event_id=uuid4(), batch_id=batch_id, user_id="teacher-1", detail=detail
        )
        await uow.commit()
    assert await twin.outbox() == [
        ("cj_batch_request", str(batch_id), "huleedu.cj.assessment.failed.v1")
    ]


async def test_an_essay_provisioned_twice_is_stored_once(twin: Twin) -> None:
    essay = Essay(
        essay_id=uuid4(),
        batch_id=uuid4(),
        owner_user_id="teacher-1",
        course_code="ENG5",
        original_file_name="a.txt",
        text_storage_id="text-1",
        text_char_count=10,
        provisioned_at=NOW,
    )
    for expected in (True, False):
        async with twin.uows() as uow:
            assert await uow.essays.add_if_new(essay) is expected
            await uow.commit()
    async with twin.uows() as uow:
        assert len(await uow.essays.live_in_batch(essay.batch_id, "teacher-1")) == 1
