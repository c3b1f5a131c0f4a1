"""Credits: a hold before the first comparison, usage charged per closed round, the rest released.

Every call carries an idempotency key derived from the assessment (and round), so a restart or a
repeated step asks entitlements again with the same key and is never charged twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from common_core.domain_enums import CJBatchState
from common_core.error_enums import ErrorCode
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.logging_utils import create_service_logger
from services.cj_assessment_service.handlers.events import emit_started
from services.cj_assessment_service.handlers.finishing import end_unsuccessfully
from services.cj_assessment_service.handlers.snapshot import Snapshot, load_snapshot
from services.cj_assessment_service.handlers.steps import (
    RunnerPolicy,
    Step,
    defer,
    hold_key,
    round_key,
)
from services.cj_assessment_service.handlers.support import error_detail, state_of, transition
from services.cj_assessment_service.models_db import Assessment, ComparisonRound
from services.cj_assessment_service.protocols import (
    CreditGateway,
    CreditsRefused,
    CreditsUnavailable,
    UnitOfWork,
    UnitOfWorkFactory,
)

logger = create_service_logger("cj_assessment_service.credits")


@dataclass
class CreditSteps:
    uows: UnitOfWorkFactory
    credits: CreditGateway
    clock: Clock
    policy: RunnerPolicy

    async def authorize(self, assessment: Assessment) -> Step:
        try:
            authorization_id = await self.credits.authorize(
                user_id=assessment.user_id,
                org_id=assessment.org_id,
                quantity=assessment.planned_comparisons,
                key=hold_key(assessment),
                resource_id=str(assessment.id),
            )
        except CreditsRefused as refusal:
            return await self._refused(assessment.id, refusal)
        except CreditsUnavailable as unavailable:
            return await self._awaiting(assessment.id, unavailable)
        return await self._authorized(assessment.id, authorization_id)

    async def _authorized(self, assessment_id: UUID, authorization_id: UUID) -> Step:
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is None:
                return Step.LOST
            assessment.authorization_id = authorization_id  # even if cancelled: settle releases
            if not state_of(assessment).is_terminal:
                transition(assessment, CJBatchState.COMPARING, self.clock.now())
                assessment.progress_at = self.clock.now()
                participants = await uow.assessments.participants(assessment_id)
                emit_started(uow, assessment, sum(1 for p in participants if p.anchor_id is None))
            await uow.commit()
        return Step.CONTINUE

    async def _refused(self, assessment_id: UUID, refusal: CreditsRefused) -> Step:
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is None or state_of(assessment).is_terminal:
                return Step.CONTINUE
            detail = error_detail(
                refusal.detail.error_code,
                f"credits refused: {refusal.detail.message}",
                correlation_id=assessment.correlation_id,
                operation="authorize_credits",
                entitlements=refusal.detail.details,
            )
            await end_unsuccessfully(uow, assessment, detail, self.clock.now())
            assessment.credits_settled_at = self.clock.now()  # nothing was held or charged
            await uow.commit()
        return Step.CONTINUE

    async def _awaiting(self, assessment_id: UUID, unavailable: CreditsUnavailable) -> Step:
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is None:
                return Step.LOST
            if state_of(assessment).is_terminal:
                return Step.CONTINUE
            waited = (self.clock.now() - assessment.created_at).total_seconds()
            if waited >= self.policy.authorization_wait_seconds:
                await self._give_up_waiting(uow, assessment, waited, unavailable)
                return Step.CONTINUE
            if state_of(assessment) is CJBatchState.INITIALIZING:
                transition(assessment, CJBatchState.AWAITING_AUTHORIZATION, self.clock.now())
            defer(assessment, self.clock, self.policy.retry_delay_seconds)
            await uow.commit()
        return Step.WAIT

    async def _give_up_waiting(
        self, uow: UnitOfWork, assessment: Assessment, waited: float, cause: Exception
    ) -> None:
        """Entitlements stayed unreachable: the assessment fails plainly; nothing held, charged."""
        detail = error_detail(
            ErrorCode.SERVICE_UNAVAILABLE,
            f"entitlements unavailable for {waited:.0f} s; no credits were held or charged",
            correlation_id=assessment.correlation_id,
            operation="authorize_credits",
            cause=str(cause) or type(cause).__name__,
        )
        await end_unsuccessfully(uow, assessment, detail, self.clock.now())
        assessment.credits_settled_at = self.clock.now()
        await uow.commit()

    async def charge_closed_rounds(self, snapshot: Snapshot) -> Step:
        """Reports the usage of every closed round not charged yet (of all rounds once ended)."""
        ended = state_of(snapshot.assessment).is_terminal
        due = [
            r
            for r in snapshot.rounds
            if r.charged_at is None and (ended or r.closed_at is not None)
        ]
        for round_ in due:
            if not await self._charge(snapshot, round_):
                return await self._retry_later(snapshot.assessment.id)
        return Step.CONTINUE

    async def _charge(self, snapshot: Snapshot, round_: ComparisonRound) -> bool:
        assessment, quantity = snapshot.assessment, snapshot.completed_in(round_.round_no)
        error: str | None = None
        if quantity > 0 and assessment.authorization_id is not None:
            try:
                await self.credits.consume(
                    assessment.authorization_id,
                    user_id=assessment.user_id,
                    quantity=quantity,
                    key=round_key(assessment, round_.round_no),
                )
            except CreditsUnavailable:
                return False
            except CreditsRefused as refusal:
                error = f"{refusal.detail.error_code}: {refusal.detail.message}"
                logger.error("usage refused by entitlements", error=error, round=round_.round_no)
        await self._mark_charged(assessment.id, round_.round_no, 0 if error else quantity, error)
        return True

    async def _mark_charged(
        self, assessment_id: UUID, round_no: int, quantity: int, error: str | None
    ) -> None:
        async with self.uows() as uow:
            for round_ in await uow.comparisons.rounds(assessment_id):
                if round_.round_no == round_no and round_.charged_at is None:
                    round_.charged_at = self.clock.now()
                    round_.charged_quantity = quantity
                    round_.charge_error = error
            await uow.commit()

    async def settle(self, assessment_id: UUID) -> Step:
        async with self.uows() as uow:
            snapshot = await load_snapshot(uow, assessment_id)
        if snapshot is None:
            return Step.LOST
        if await self.charge_closed_rounds(snapshot) is Step.WAIT:
            return Step.WAIT
        assessment = snapshot.assessment
        if assessment.authorization_id is not None:
            try:
                await self.credits.release(
                    assessment.authorization_id, user_id=assessment.user_id, reason=assessment.state
                )
            except CreditsUnavailable:
                return await self._retry_later(assessment_id)
            except CreditsRefused as refusal:  # already released or expired: nothing left
                logger.warning("hold release refused", error=refusal.detail.message)
        return await self._settled(assessment_id)

    async def _settled(self, assessment_id: UUID) -> Step:
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is None:
                return Step.LOST
            assessment.credits_settled_at = self.clock.now()
            await uow.commit()
        return Step.DONE

    async def _retry_later(self, assessment_id: UUID) -> Step:
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is None:
                return Step.LOST
            defer(assessment, self.clock, self.policy.retry_delay_seconds)
            await uow.commit()
        return Step.WAIT
