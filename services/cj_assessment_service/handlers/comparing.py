"""The comparing phase, one step at a time: judge the open round, close it, or plan the next.

Each step reads the database afresh, so a restarted worker continues exactly where the last one
stopped: stored judgements are never asked again, pending ones are.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from common_core.domain_enums import CJBatchState, CJStopReason
from common_core.error_enums import CJAssessmentErrorCode
from huleedu_service_libs.clock import Clock
from services.cj_assessment_service.domain.bradley_terry import BradleyTerryFit
from services.cj_assessment_service.domain.design import next_round
from services.cj_assessment_service.domain.fit_statistics import fit_reliability
from services.cj_assessment_service.domain.outcome import fit_judged
from services.cj_assessment_service.domain.pairing import PlannedPair
from services.cj_assessment_service.domain.stopping import StoppingRule
from services.cj_assessment_service.handlers.content import EssayTexts, TextsUnavailable
from services.cj_assessment_service.handlers.credits import CreditSteps
from services.cj_assessment_service.handlers.finishing import end_unsuccessfully
from services.cj_assessment_service.handlers.judging import RoundJudging
from services.cj_assessment_service.handlers.snapshot import PENDING, Snapshot, load_snapshot
from services.cj_assessment_service.handlers.steps import RunnerPolicy, Step, defer
from services.cj_assessment_service.handlers.support import (
    design_of,
    error_detail,
    state_of,
    transition,
)
from services.cj_assessment_service.models_db import Assessment, Comparison, ComparisonRound
from services.cj_assessment_service.protocols import UnitOfWork, UnitOfWorkFactory

MIN_FAILURES_TO_GIVE_UP = 3


@dataclass
class ComparingSteps:
    uows: UnitOfWorkFactory
    judging: RoundJudging
    credits: CreditSteps
    texts: EssayTexts
    clock: Clock
    policy: RunnerPolicy

    async def step(self, assessment_id: UUID) -> Step:
        async with self.uows() as uow:
            snapshot = await load_snapshot(uow, assessment_id)
        if snapshot is None:
            return Step.LOST
        open_round = snapshot.open_round
        if open_round is not None:
            return await self._work_on(snapshot, open_round)
        if await self.credits.charge_closed_rounds(snapshot) is Step.WAIT:
            return Step.WAIT
        return await self._plan_or_stop(snapshot)

    async def _work_on(self, snapshot: Snapshot, open_round: ComparisonRound) -> Step:
        pending = snapshot.pending_in(open_round.round_no)
        if not pending:
            return await self._close(snapshot.assessment.id, open_round.round_no)
        try:
            texts = await self.texts.for_participants(snapshot.participants)
        except TextsUnavailable as error:
            return await self._texts_unavailable(snapshot.assessment.id, error)
        delay = await self.judging.judge_pending(snapshot.assessment, pending, texts)
        if delay is not None:
            return await self._pause(snapshot.assessment.id, delay)
        return Step.CONTINUE

    async def _close(self, assessment_id: UUID, round_no: int) -> Step:
        async with self.uows() as uow:
            snapshot = await load_snapshot(uow, assessment_id)
            if snapshot is None:
                return Step.LOST
            fit = await _fit(snapshot)
            assessment = await uow.assessments.get(assessment_id, lock=True)
            assert assessment is not None
            for round_ in await uow.comparisons.rounds(assessment_id):
                if round_.round_no == round_no and round_.closed_at is None:
                    round_.closed_at = self.clock.now()
            assessment.rounds_done = max(assessment.rounds_done, round_no)
            assessment.reliability = fit_reliability(fit) if fit else None
            assessment.updated_at = self.clock.now()
            await uow.commit()
        return Step.CONTINUE

    async def _plan_or_stop(self, snapshot: Snapshot) -> Step:
        assessment = snapshot.assessment
        if _too_many_failures(assessment, self.policy):
            return await self._fail(
                assessment.id,
                CJAssessmentErrorCode.JUDGE_RESPONSE_INVALID,
                "too many comparisons got no usable answer from the judge",
            )
        fit = await _fit(snapshot)
        reason = self._reason_to_stop(snapshot, fit)
        if reason is not None:
            return await self._stop(assessment.id, reason)
        pairs = await _next_pairs(snapshot, fit)
        if not pairs:
            return await self._stop(assessment.id, CJStopReason.NO_INFORMATIVE_PAIRS)
        return await self._open_round(assessment.id, assessment.rounds_done + 1, pairs)

    def _reason_to_stop(
        self, snapshot: Snapshot, fit: BradleyTerryFit | None
    ) -> CJStopReason | None:
        design = design_of(snapshot.assessment)
        rule = StoppingRule(design.target_reliability, design.min_comparisons_per_essay)
        return rule.reason_to_stop(
            reliability=fit_reliability(fit) if fit else 0.0,
            counts=snapshot.counts(),
            completed=snapshot.assessment.completed_comparisons,
            budget=snapshot.assessment.planned_comparisons,
        )

    async def _open_round(
        self, assessment_id: UUID, round_no: int, pairs: list[PlannedPair]
    ) -> Step:
        async with self.uows() as uow:
            assessment = await _locked_comparing(uow, assessment_id)
            if assessment is None:
                return Step.CONTINUE  # cancelled or taken over meanwhile: re-dispatch
            now = self.clock.now()
            kind = "coverage" if round_no <= design_of(assessment).coverage_rounds else "adaptive"
            round_ = ComparisonRound(
                assessment_id=assessment_id,
                round_no=round_no,
                kind=kind,
                planned=len(pairs),
                created_at=now,
            )
            await uow.comparisons.add_round(
                round_, _comparisons(assessment_id, round_no, pairs, now)
            )
            assessment.updated_at = now
            await uow.commit()
        return Step.CONTINUE

    async def _stop(self, assessment_id: UUID, reason: CJStopReason) -> Step:
        async with self.uows() as uow:
            assessment = await _locked_comparing(uow, assessment_id)
            if assessment is not None:
                if assessment.completed_comparisons == 0:
                    await self._end(
                        uow,
                        assessment,
                        CJAssessmentErrorCode.INSUFFICIENT_COMPARISONS,
                        "no comparison could be judged",
                    )
                else:
                    transition(assessment, CJBatchState.SCORING, self.clock.now())
                    assessment.stop_reason = reason.value
                await uow.commit()
        return Step.CONTINUE

    async def _fail(self, assessment_id: UUID, code: CJAssessmentErrorCode, message: str) -> Step:
        async with self.uows() as uow:
            assessment = await _locked_comparing(uow, assessment_id)
            if assessment is not None:
                await self._end(uow, assessment, code, message)
                await uow.commit()
        return Step.CONTINUE

    async def _end(
        self, uow: UnitOfWork, assessment: Assessment, code: CJAssessmentErrorCode, message: str
    ) -> None:
        detail = error_detail(
            code,
            message,
            correlation_id=assessment.correlation_id,
            operation="compare",
            comparisons_completed=assessment.completed_comparisons,
            comparisons_failed=assessment.failed_comparisons,
        )
        await end_unsuccessfully(uow, assessment, detail, self.clock.now())

    async def _texts_unavailable(self, assessment_id: UUID, error: TextsUnavailable) -> Step:
        if error.missing:
            return await self._fail(
                assessment_id, CJAssessmentErrorCode.ESSAY_CONTENT_UNAVAILABLE, str(error)
            )
        return await self._pause(assessment_id, self.policy.retry_delay_seconds)

    async def _pause(self, assessment_id: UUID, delay: float) -> Step:
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is None:
                return Step.LOST
            defer(assessment, self.clock, delay)
            await uow.commit()
        return Step.WAIT


async def _fit(snapshot: Snapshot) -> BradleyTerryFit | None:
    judged = snapshot.judged()
    if not judged:
        return None
    prior_sd = design_of(snapshot.assessment).prior_sd
    return await asyncio.to_thread(fit_judged, len(snapshot.participants), judged, prior_sd)


async def _next_pairs(snapshot: Snapshot, fit: BradleyTerryFit | None) -> list[PlannedPair]:
    """In a thread, as the fit is: choosing a 500-essay round takes seconds of numpy, which on
    the event loop would stall the worker's consumers, relay and other assessments."""
    assessment = snapshot.assessment
    return await asyncio.to_thread(
        next_round,
        snapshot.history(),
        fit,
        rounds_done=assessment.rounds_done,
        remaining=assessment.planned_comparisons - assessment.completed_comparisons,
        settings=design_of(assessment),
        rng=random.Random(f"{assessment.id}:{assessment.rounds_done + 1}"),
    )


def _too_many_failures(assessment: Assessment, policy: RunnerPolicy) -> bool:
    failed, attempted = (
        assessment.failed_comparisons,
        (assessment.failed_comparisons + assessment.completed_comparisons),
    )
    return failed >= MIN_FAILURES_TO_GIVE_UP and failed > policy.max_failed_share * attempted


async def _locked_comparing(uow: UnitOfWork, assessment_id: UUID) -> Assessment | None:
    assessment = await uow.assessments.get(assessment_id, lock=True)
    if assessment is None or state_of(assessment) is not CJBatchState.COMPARING:
        return None
    return assessment


def _comparisons(
    assessment_id: UUID, round_no: int, pairs: list[PlannedPair], now: datetime
) -> list[Comparison]:
    return [
        Comparison(
            id=uuid4(),
            assessment_id=assessment_id,
            round_no=round_no,
            first_position=pair.first,
            second_position=pair.second,
            status=PENDING,
            attempts=0,
            requested_at=now,
        )
        for pair in pairs
    ]
