"""The assessment use cases end to end on in-memory fakes: outcomes in rows, events and credits."""

from uuid import uuid4

import numpy as np
import pytest

from common_core.domain_enums import CJBatchState, CJStopReason
from common_core.error_enums import ErrorCode
from common_core.events.cj import (
    AssessmentResultV1,
    CJAssessmentCompletedV1,
    CJAssessmentFailedV1,
    CJAssessmentStartedV1,
)
from services.cj_assessment_service.domain.errors import Conflict, InsufficientEssays, NotFound
from services.cj_assessment_service.handlers.requests import BatchAssessment
from services.cj_assessment_service.models_db import Assessment
from services.cj_assessment_service.tests.support.harness import TEACHER, Harness, MakeHarness


def rank_correlation(a: list[float], b: list[float]) -> float:
    ranks_a, ranks_b = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


QUALITIES = [-2.5, -1.8, -1.0, -0.4, 0.0, 0.5, 1.1, 1.7, 2.4, 3.0]


async def start(h: Harness, batch_id, user: str = TEACHER) -> Assessment:  # type: ignore[no-untyped-def]
    return await h.start(
        BatchAssessment(user_id=user, org_id=None, batch_id=batch_id, correlation_id=uuid4())
    )


def stored(h: Harness, assessment: Assessment) -> Assessment:
    return h.state.assessments[assessment.id]


async def test_a_batch_is_assessed_charged_once_and_announced(harness: MakeHarness) -> None:
    h = await harness()
    batch = await h.provision(QUALITIES)
    assessment = await start(h, batch)
    assert assessment.state == "initializing"
    await h.worker.drain()

    done = stored(h, assessment)
    assert done.state == CJBatchState.COMPLETED.value
    assert done.planned_comparisons == 30  # 10 essays x 6 / 2
    assert 0 < done.completed_comparisons <= done.planned_comparisons
    comparisons = [c for c in h.state.comparisons.values() if c.assessment_id == done.id]
    assert len(comparisons) == done.completed_comparisons
    assert all(c.winner in ("A", "B") and c.judge == "simulated:seed=0" for c in comparisons)

    hold = h.credits.hold()
    assert hold.quantity == done.planned_comparisons
    assert h.credits.charged == done.completed_comparisons
    assert hold.released
    assert done.credits_settled_at is not None

    (started,) = h.state.events(CJAssessmentStartedV1)
    (completed,) = h.state.events(CJAssessmentCompletedV1)
    (result,) = h.state.events(AssessmentResultV1)
    assert started.essay_count == 10
    assert started.planned_comparisons == 30
    assert completed.comparisons_completed == done.completed_comparisons
    assert completed.judge_kind == "simulated"
    assert result.grade_scale is None
    assert all(not r.grade_probabilities for r in result.essay_results)
    scores = {r.essay_id: r.score for r in result.essay_results}
    essays = sorted(h.state.essays.values(), key=lambda e: e.provisioned_at)
    # 30 comparisons of 10 essays with random ids: rho ranged 0.76-0.98 (median 0.90) over 40
    # runs, so 0.8 failed about one run in ten; 0.5 still catches a ranking that ignores quality.
    assert rank_correlation([scores[e.essay_id] for e in essays], QUALITIES) > 0.5


async def test_stop_when_reliability_is_reached_and_release_the_rest(harness: MakeHarness) -> None:
    h = await harness(COMPARISONS_PER_ESSAY=20, MIN_COMPARISONS_PER_ESSAY=4, TARGET_RELIABILITY=0.7)
    batch = await h.provision([q * 2 for q in QUALITIES])
    assessment = await start(h, batch)
    await h.worker.drain()
    done = stored(h, assessment)
    assert done.stop_reason == CJStopReason.RELIABILITY_REACHED.value
    assert done.reliability is not None
    assert done.reliability >= 0.7
    assert h.credits.charged == done.completed_comparisons < done.planned_comparisons
    assert h.credits.hold().released


async def test_fewer_than_two_essays_is_refused_and_nothing_happens(harness: MakeHarness) -> None:
    h = await harness()
    batch = await h.provision([1.0])
    with pytest.raises(InsufficientEssays):
        await start(h, batch)
    assert not h.state.assessments
    assert not h.state.outbox
    assert not h.credits.holds


async def test_an_unknown_or_foreign_batch_is_not_found(harness: MakeHarness) -> None:
    h = await harness()
    batch = await h.provision(QUALITIES[:3])
    with pytest.raises(NotFound):
        await start(h, uuid4())
    with pytest.raises(NotFound):
        await start(h, batch, user="someone-else")


async def test_a_second_request_for_a_running_batch_conflicts(harness: MakeHarness) -> None:
    h = await harness()
    batch = await h.provision(QUALITIES[:4])
    await start(h, batch)
    with pytest.raises(Conflict):
        await start(h, batch)


async def test_refused_credits_fail_the_assessment_and_charge_nothing(harness: MakeHarness) -> None:
    h = await harness()
    h.credits.balance = 5
    assessment = await start(h, await h.provision(QUALITIES))
    await h.worker.drain()
    failed = stored(h, assessment)
    assert failed.state == "failed"
    (event,) = h.state.events(CJAssessmentFailedV1)
    assert event.error_detail.error_code == ErrorCode.INSUFFICIENT_CREDITS
    assert event.assessment_id == assessment.id
    assert not h.credits.holds
    assert h.credits.charged == 0
    assert not h.state.comparisons
    assert not h.state.events(CJAssessmentStartedV1)


async def test_entitlements_down_at_the_start_is_waited_out(harness: MakeHarness) -> None:
    h = await harness()
    h.credits.down = True
    assessment = await start(h, await h.provision(QUALITIES[:6]))
    await h.worker.drain()
    assert stored(h, assessment).state == "awaiting_authorization"
    h.credits.down = False
    h.clock.advance(10)
    await h.worker.drain()
    assert stored(h, assessment).state == "completed"


async def test_entitlements_down_past_the_wait_fails_plainly_and_charges_nothing(
    harness: MakeHarness,
) -> None:
    h = await harness()
    h.credits.down = True
    assessment = await start(h, await h.provision(QUALITIES[:6]))
    await h.worker.drain()
    h.clock.advance(59)
    await h.worker.drain()
    assert stored(h, assessment).state == "awaiting_authorization"  # within the 60 s wait
    h.clock.advance(6)  # the next retry (every 5 s) comes after the 60 s wait
    await h.worker.drain()
    failed = stored(h, assessment)
    assert failed.state == "failed"
    assert failed.credits_settled_at is not None
    (event,) = h.state.events(CJAssessmentFailedV1)
    assert event.error_detail.error_code == ErrorCode.SERVICE_UNAVAILABLE
    assert "entitlements unavailable" in event.error_detail.message
    h.credits.down = False
    h.clock.advance(10)
    await h.worker.drain()  # entitlements back: nothing is held or charged afterwards
    assert stored(h, assessment).state == "failed"
    assert (h.credits.holds, h.credits.charged, h.state.comparisons) == ({}, 0, {})


async def test_entitlements_down_at_the_end_never_charges_twice(harness: MakeHarness) -> None:
    h = await harness()
    assessment = await start(h, await h.provision(QUALITIES[:6]))

    consumed = 0

    async def flaky_release(*args: object, **kwargs: object) -> None:
        nonlocal consumed
        consumed += 1
        h.credits.down = consumed == 1  # the first release fails, as if the network dropped
        if h.credits.down:
            h.credits.down = False
            from services.cj_assessment_service.protocols import CreditsUnavailable

            raise CreditsUnavailable("dropped")
        await type(h.credits).release(h.credits, *args, **kwargs)  # type: ignore[arg-type]

    h.credits.release = flaky_release  # type: ignore[method-assign]
    await h.worker.drain()
    done = stored(h, assessment)
    assert done.state == "completed"
    assert done.credits_settled_at is None
    h.clock.advance(10)
    await h.worker.drain()
    assert stored(h, assessment).credits_settled_at is not None
    assert h.credits.charged == done.completed_comparisons
    assert h.credits.hold().released
