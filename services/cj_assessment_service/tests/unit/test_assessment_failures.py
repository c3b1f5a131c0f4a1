"""Unusable answers, an unavailable judge, crashes, stalls and cancellation."""

from uuid import UUID, uuid4

import pytest

from common_core.domain_enums import CJBatchState, CJStopReason
from common_core.error_enums import CJAssessmentErrorCode, ErrorCode
from common_core.events.cj import (
    AssessmentResultV1,
    CJAssessmentCompletedV1,
    CJAssessmentFailedV1,
)
from services.cj_assessment_service.domain.errors import AlreadyFinished, Conflict, NotFound
from services.cj_assessment_service.domain.judging import JudgeTask, JudgeVerdict
from services.cj_assessment_service.handlers.requests import BatchAssessment
from services.cj_assessment_service.handlers.support import STOP_STALLED
from services.cj_assessment_service.models_db import Assessment
from services.cj_assessment_service.tests.support.fakes import ScriptedJudge
from services.cj_assessment_service.tests.support.harness import (
    TEACHER,
    Harness,
    MakeHarness,
    simulated_judge,
)

QUALITIES = [-2.0, -1.0, -0.5, 0.0, 0.4, 1.0, 1.5, 2.2]


async def started(h: Harness, count: int = 8) -> Assessment:
    batch = await h.provision(QUALITIES[:count])
    command = BatchAssessment(user_id=TEACHER, org_id=None, batch_id=batch, correlation_id=uuid4())
    return await h.start(command)


def comparisons_of(h: Harness, assessment_id: UUID) -> list:  # type: ignore[type-arg]
    return [c for c in h.state.comparisons.values() if c.assessment_id == assessment_id]


async def test_an_unusable_answer_is_retried_and_never_counted_as_a_win(
    harness: MakeHarness,
) -> None:
    attempts: dict[UUID, int] = {}

    def garbage_first_time(task: JudgeTask) -> str | None:
        attempts[task.comparison_id] = attempts.get(task.comparison_id, 0) + 1
        return "invalid" if attempts[task.comparison_id] == 1 else None

    h = await harness(judge=ScriptedJudge(simulated_judge(), garbage_first_time))
    assessment = await started(h)
    await h.worker.drain()
    done = h.state.assessments[assessment.id]
    assert done.state == "completed"
    rows = comparisons_of(h, done.id)
    assert all(c.attempts == 2 for c in rows)
    assert all(c.status == "completed" for c in rows)
    assert done.failed_comparisons == 0


async def test_comparisons_that_keep_failing_are_dropped_and_replaced(harness: MakeHarness) -> None:
    doomed: set[frozenset[str]] = set()

    def fail_pairs_with_the_first_essay(task: JudgeTask) -> str | None:
        pair = frozenset((task.essay_a, task.essay_b))
        if any("number 0," in text for text in pair) and len(doomed) < 2:
            doomed.add(pair)
        return "invalid" if pair in doomed else None

    h = await harness(judge=ScriptedJudge(simulated_judge(), fail_pairs_with_the_first_essay))
    assessment = await started(h)
    await h.worker.drain()
    done = h.state.assessments[assessment.id]
    assert done.state == "completed"
    failed = [c for c in comparisons_of(h, done.id) if c.status == "failed"]
    assert failed
    assert done.failed_comparisons == len(failed)
    assert all(c.winner is None for c in failed)
    assert all(c.error == "garbage" for c in failed)
    assert h.credits.charged == done.completed_comparisons  # failures are not charged
    (result,) = h.state.events(AssessmentResultV1)
    assert sum(r.comparison_count for r in result.essay_results) == 2 * done.completed_comparisons


async def test_a_judge_that_only_returns_garbage_fails_the_assessment_without_charge(
    harness: MakeHarness,
) -> None:
    h = await harness(judge=ScriptedJudge(simulated_judge(), lambda _: "invalid"))
    assessment = await started(h)
    await h.worker.drain()
    failed = h.state.assessments[assessment.id]
    assert failed.state == "failed"
    assert failed.completed_comparisons == 0
    (event,) = h.state.events(CJAssessmentFailedV1)
    assert event.error_detail.error_code == CJAssessmentErrorCode.JUDGE_RESPONSE_INVALID
    assert h.credits.charged == 0
    assert h.credits.hold().released
    assert not h.state.events(CJAssessmentCompletedV1)


async def test_an_unavailable_judge_pauses_the_assessment_until_it_is_back(
    harness: MakeHarness,
) -> None:
    down = True
    h = await harness(
        judge=ScriptedJudge(simulated_judge(), lambda _: "unavailable" if down else None)
    )
    assessment = await started(h)
    await h.worker.drain()
    paused = h.state.assessments[assessment.id]
    assert paused.state == "comparing"
    assert paused.completed_comparisons == 0
    assert all(c.status == "pending" and c.attempts == 0 for c in comparisons_of(h, paused.id))
    down = False
    h.clock.advance(31)
    await h.worker.drain()
    assert h.state.assessments[assessment.id].state == "completed"


class Crash(Exception):
    pass


class CrashingJudge:
    """Answers `budget` comparisons, then dies like a killed worker process."""

    def __init__(self, budget: int) -> None:
        self.inner = simulated_judge()
        self.budget = budget
        self.asked: list[UUID] = []

    @property
    def kind(self):  # type: ignore[no-untyped-def]
        return self.inner.kind

    async def judge(self, task: JudgeTask) -> JudgeVerdict:
        if len(self.asked) >= self.budget:
            raise Crash
        self.asked.append(task.comparison_id)
        return await self.inner.judge(task)


async def test_a_restarted_worker_resumes_without_losing_or_repeating_judgements(
    harness: MakeHarness,
) -> None:
    judge = CrashingJudge(budget=11)
    h = await harness(judge=judge)
    assessment = await started(h)
    with pytest.raises(Crash):
        await h.worker.drain()
    crashed = h.state.assessments[assessment.id]
    assert crashed.completed_comparisons == 11
    assert crashed.lease_owner == h.worker.owner  # the dead worker still holds its claim

    judge.budget = 10_000
    other = await h.another_worker()
    assert other.owner != h.worker.owner
    assert await other.drain() == 0  # the lease is still valid
    h.clock.advance(61)
    await other.drain()

    done = h.state.assessments[assessment.id]
    assert done.state == "completed"
    assert len(judge.asked) == len(set(judge.asked)) == done.completed_comparisons
    assert h.credits.charged == done.completed_comparisons
    assert len(h.state.events(CJAssessmentCompletedV1)) == 1


async def test_a_stalled_assessment_with_enough_data_is_finalised(harness: MakeHarness) -> None:
    calls = 0

    def down_after_two_rounds(task: JudgeTask) -> str | None:
        nonlocal calls
        calls += 1
        return "unavailable" if calls > 8 else None

    h = await harness(judge=ScriptedJudge(simulated_judge(), down_after_two_rounds))
    assessment = await started(h)
    await h.worker.drain()
    assert h.state.assessments[assessment.id].state == "comparing"
    h.clock.advance(601)
    assert await h.sweeper.sweep() == 1
    await h.worker.drain()
    done = h.state.assessments[assessment.id]
    assert done.state == "completed"
    assert done.stop_reason == STOP_STALLED
    (completed,) = h.state.events(CJAssessmentCompletedV1)
    assert completed.stop_reason == CJStopReason.BUDGET_EXHAUSTED
    assert h.credits.hold().released


async def test_a_stalled_assessment_without_enough_data_fails(harness: MakeHarness) -> None:
    h = await harness(judge=ScriptedJudge(simulated_judge(), lambda _: "unavailable"))
    assessment = await started(h)
    await h.worker.drain()
    h.clock.advance(601)
    await h.sweeper.sweep()
    await h.worker.drain()
    failed = h.state.assessments[assessment.id]
    assert failed.state == "failed"
    (event,) = h.state.events(CJAssessmentFailedV1)
    assert event.error_detail.error_code == ErrorCode.TIMEOUT
    assert h.credits.charged == 0
    assert h.credits.hold().released


async def test_cancelling_ends_the_assessment_and_settles_what_was_done(
    harness: MakeHarness,
) -> None:
    judge = CrashingJudge(budget=5)
    h = await harness(judge=judge)
    assessment = await started(h)
    with pytest.raises(Crash):
        await h.worker.drain()
    cancelled = await h.cancel(TEACHER, assessment.id)
    assert cancelled.state == CJBatchState.CANCELLED.value
    (event,) = h.state.events(CJAssessmentFailedV1)
    assert event.error_detail.details["reason"] == "cancelled"
    h.clock.advance(61)  # the crashed worker's lease runs out; another settles
    await (await h.another_worker()).drain()
    assert h.credits.charged == 5
    assert h.credits.hold().released
    with pytest.raises(AlreadyFinished):
        await h.cancel(TEACHER, assessment.id)


async def test_only_the_owner_sees_or_cancels_an_assessment(harness: MakeHarness) -> None:
    h = await harness()
    assessment = await started(h)
    with pytest.raises(NotFound):
        await h.queries.status("intruder", assessment.id)
    with pytest.raises(NotFound):
        await h.cancel("intruder", assessment.id)
    with pytest.raises(NotFound):
        await h.queries.results(TEACHER, uuid4())
    with pytest.raises(Conflict):
        await h.queries.results(TEACHER, assessment.id)  # not completed yet
    await h.worker.drain()
    results = await h.queries.results(TEACHER, assessment.id)
    assert [score.rank for score, _ in results.rows] == list(range(1, 9))
