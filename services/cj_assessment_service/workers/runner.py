"""Drives one assessment through its states, one committed step at a time."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from common_core.domain_enums import CJBatchState
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.logging_utils import create_service_logger
from huleedu_service_libs.observability import tracer_provider_of
from services.cj_assessment_service.config import SERVICE_NAME
from services.cj_assessment_service.handlers.comparing import ComparingSteps
from services.cj_assessment_service.handlers.credits import CreditSteps
from services.cj_assessment_service.handlers.scoring import ScoringStep
from services.cj_assessment_service.handlers.steps import RunnerPolicy, Step
from services.cj_assessment_service.handlers.support import state_of
from services.cj_assessment_service.models_db import Assessment
from services.cj_assessment_service.protocols import UnitOfWorkFactory

logger = create_service_logger("cj_assessment_service.runner")
MAX_STEPS_PER_CLAIM = 10_000


@dataclass
class AssessmentRunner:
    uows: UnitOfWorkFactory
    credits: CreditSteps
    comparing: ComparingSteps
    scoring: ScoringStep
    clock: Clock
    policy: RunnerPolicy

    async def run(self, assessment_id: UUID, owner: str) -> Step:
        """Steps until the assessment waits, ends or is lost; then gives up the claim."""
        step = Step.CONTINUE
        for _ in range(MAX_STEPS_PER_CLAIM):
            step = await self.step(assessment_id, owner)
            if step is not Step.CONTINUE:
                break
        if step is not Step.LOST:
            await self._release_claim(assessment_id, owner)
        return step

    async def step(self, assessment_id: UUID, owner: str) -> Step:
        assessment = await self._renew_claim(assessment_id, owner)
        if assessment is None:
            return Step.LOST
        context = CorrelationContext.from_uuid(assessment.correlation_id)
        with correlation_scope(context), _step_span(assessment):
            return await self._dispatch(assessment)

    async def _dispatch(self, assessment: Assessment) -> Step:
        state = state_of(assessment)
        if state.is_terminal:
            if assessment.credits_settled_at is not None:
                return Step.DONE
            return await self.credits.settle(assessment.id)
        if state in (CJBatchState.INITIALIZING, CJBatchState.AWAITING_AUTHORIZATION):
            return await self.credits.authorize(assessment)
        if state is CJBatchState.COMPARING:
            return await self.comparing.step(assessment.id)
        return await self.scoring.step(assessment.id)

    async def _renew_claim(self, assessment_id: UUID, owner: str) -> Assessment | None:
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is None or assessment.lease_owner != owner:
                return None
            lease = timedelta(seconds=self.policy.lease_seconds)
            assessment.lease_expires_at = self.clock.now() + lease
            await uow.commit()
        return assessment

    async def _release_claim(self, assessment_id: UUID, owner: str) -> None:
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is not None and assessment.lease_owner == owner:
                assessment.lease_owner = None
                assessment.lease_expires_at = None
                await uow.commit()


def _step_span(assessment: Assessment) -> contextlib.AbstractContextManager[object]:
    """A step is started by the worker's poll, not by a request or an event, so nothing else
    opens a span for it: the entitlements calls, judge calls and events of the step (so the
    consumers of its events) belong to this one."""
    provider = tracer_provider_of(SERVICE_NAME)
    if provider is None:
        return contextlib.nullcontext()
    return provider.get_tracer(__name__).start_as_current_span(
        "cj.assessment.step",
        attributes={"cj.assessment_id": str(assessment.id), "cj.state": assessment.state},
    )
