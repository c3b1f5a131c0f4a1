"""Judging a round: every pending comparison asked concurrently, each answer stored as it arrives.

An unusable answer is a failed attempt, never a win; after the last attempt the comparison is
dropped (a later round pairs its essays again). An unavailable judge leaves it pending for later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from common_core.courses import CourseCode, Language
from common_core.domain_enums import JudgeKind
from huleedu_service_libs.clock import Clock
from services.cj_assessment_service.domain.judging import (
    JudgeAnswerInvalid,
    JudgeOptions,
    JudgeTask,
    JudgeUnavailable,
    JudgeVerdict,
)
from services.cj_assessment_service.handlers.snapshot import COMPLETED, FAILED, PENDING
from services.cj_assessment_service.handlers.steps import RunnerPolicy
from services.cj_assessment_service.metrics import CJMetrics, ComparisonOutcome, JudgeErrorReason
from services.cj_assessment_service.models_db import Assessment, Comparison
from services.cj_assessment_service.protocols import ComparisonJudge, UnitOfWork, UnitOfWorkFactory


@dataclass
class RoundJudging:
    uows: UnitOfWorkFactory
    judges: Mapping[JudgeKind, ComparisonJudge]
    clock: Clock
    policy: RunnerPolicy
    metrics: CJMetrics

    async def judge_pending(
        self, assessment: Assessment, pending: Sequence[Comparison], texts: Mapping[int, str]
    ) -> float | None:
        """Asks the judge about each pending comparison; returns a retry delay when it was down."""
        judge = self.judges[JudgeKind(assessment.judge_kind)]
        outcomes = await asyncio.gather(
            *(self._judge_one(assessment, c, texts, judge) for c in pending)
        )
        delays = [delay for delay in outcomes if delay is not None]
        return max(delays) if delays else None

    async def _judge_one(
        self,
        assessment: Assessment,
        comparison: Comparison,
        texts: Mapping[int, str],
        judge: ComparisonJudge,
    ) -> float | None:
        started = time.monotonic()
        try:
            verdict = await judge.judge(_task(assessment, comparison, texts))
        except JudgeAnswerInvalid as error:
            self._judge_answered(judge, started, JudgeErrorReason.INVALID_ANSWER)
            outcome = await self._record_failure(comparison.id, str(error))
            if outcome is not None:
                self.metrics.compared(outcome)
            return None
        except JudgeUnavailable as error:
            self._judge_answered(judge, started, JudgeErrorReason.UNAVAILABLE)
            self.metrics.compared(ComparisonOutcome.DEFERRED)
            return max(error.retry_after_seconds or 0.0, self.policy.retry_delay_seconds)
        elapsed = self._judge_answered(judge, started)
        if await self._record_verdict(comparison.id, verdict, int(elapsed * 1000)):
            self.metrics.compared(ComparisonOutcome.JUDGED)
        return None

    def _judge_answered(
        self, judge: ComparisonJudge, started: float, error: JudgeErrorReason | None = None
    ) -> float:
        elapsed = time.monotonic() - started
        self.metrics.judged(judge.kind, elapsed)
        if error is not None:
            self.metrics.judge_failed(error)
        return elapsed

    async def _record_verdict(self, comparison_id: UUID, verdict: JudgeVerdict, ms: int) -> bool:
        """True when this call stored the verdict."""
        async with self.uows() as uow:
            locked = await _lock_pending(uow, comparison_id)
            if locked is None:
                return False  # already answered (a repeated step): never counted twice
            assessment, comparison = locked
            now = self.clock.now()
            comparison.status = COMPLETED
            comparison.winner = verdict.winner.value
            comparison.confidence = verdict.confidence
            comparison.justification = verdict.justification
            comparison.judge = verdict.judge
            comparison.error = None
            comparison.attempts += 1
            comparison.completed_at = now
            comparison.duration_ms = ms
            assessment.completed_comparisons += 1
            assessment.progress_at = now
            await uow.commit()
        return True

    async def _record_failure(self, comparison_id: UUID, error: str) -> ComparisonOutcome | None:
        """What the failed attempt did to the comparison, once committed (None: nothing)."""
        async with self.uows() as uow:
            locked = await _lock_pending(uow, comparison_id)
            if locked is None:
                return None
            assessment, comparison = locked
            comparison.attempts += 1
            comparison.error = error[:2000]
            outcome = ComparisonOutcome.INVALID
            if comparison.attempts >= self.policy.comparison_max_attempts:
                comparison.status = FAILED
                comparison.completed_at = self.clock.now()
                assessment.failed_comparisons += 1
                outcome = ComparisonOutcome.DROPPED
            await uow.commit()
        return outcome


async def _lock_pending(
    uow: UnitOfWork, comparison_id: UUID
) -> tuple[Assessment, Comparison] | None:
    """Locks the assessment, then the comparison (always in this order), if it is still pending."""
    found = await uow.comparisons.get(comparison_id)
    if found is None:
        return None
    assessment = await uow.assessments.get(found.assessment_id, lock=True)
    comparison = await uow.comparisons.get(comparison_id, lock=True)
    if assessment is None or comparison is None or comparison.status != PENDING:
        return None
    return assessment, comparison


def _task(assessment: Assessment, comparison: Comparison, texts: Mapping[int, str]) -> JudgeTask:
    overrides = assessment.judge_overrides or {}
    return JudgeTask(
        comparison_id=comparison.id,
        essay_a=texts[comparison.first_position],
        essay_b=texts[comparison.second_position],
        course_code=CourseCode(assessment.course_code),
        language=Language(assessment.language),
        options=JudgeOptions(
            model=overrides.get("llm_model"),
            temperature=overrides.get("temperature"),
            max_tokens=overrides.get("max_tokens"),
        ),
    )
