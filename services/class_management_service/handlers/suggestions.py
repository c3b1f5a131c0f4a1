"""Phase 1 matching: store the NLP service's suggested author of each essay, once per event."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from uuid import UUID, uuid4

from common_core.events.class_management import (
    BatchAuthorMatchesSuggestedV1,
    EssayMatchResult,
    StudentMatchSuggestion,
)
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.redis import Notification, Notifier
from services.class_management_service.domain.errors import UnknownClassError
from services.class_management_service.domain.model import EssayAssociation
from services.class_management_service.metrics import ClassManagementMetrics, MatchOutcome
from services.class_management_service.protocols import UnitOfWork

HANDLER_NAME = "class_management.batch_author_matches_suggested"


@dataclass
class SuggestionHandler:
    uow: UnitOfWork
    clock: Clock
    notifier: Notifier
    metrics: ClassManagementMetrics

    async def __call__(self, envelope: EventEnvelope[BatchAuthorMatchesSuggestedV1]) -> None:
        await self.handle(envelope.event_id, envelope.data)

    async def handle(self, event_id: UUID, event: BatchAuthorMatchesSuggestedV1) -> int:
        """The number of essays newly awaiting review (0 for a redelivered event)."""
        async with self.uow:
            if not await self.uow.claim_event(HANDLER_NAME, event_id):
                return 0
            await self.uow.associations.lock_batch(event.batch_id, wait=True)
            school_class = await self.uow.classes.get(event.class_id)
            if school_class is None:
                raise UnknownClassError(f"class {event.class_id} of batch {event.batch_id}")
            roster = await self.uow.memberships.member_ids(event.class_id)
            stored = {MatchOutcome.SUGGESTED: 0, MatchOutcome.UNMATCHED: 0}
            for result in event.match_results:
                association = self._association(event, result, roster, event_id)
                outcome = (
                    MatchOutcome.UNMATCHED
                    if association.suggested_student_id is None
                    else MatchOutcome.SUGGESTED
                )
                stored[outcome] += await self.uow.associations.add_if_absent(association)
            if total := sum(stored.values()):
                self._notify(school_class.owner_user_id, event, total)
            await self.uow.commit()
        for outcome, count in stored.items():
            self.metrics.matched(outcome, count)
        return total

    def _association(
        self,
        event: BatchAuthorMatchesSuggestedV1,
        result: EssayMatchResult,
        roster: set[UUID],
        event_id: UUID,
    ) -> EssayAssociation:
        best = _best_on_roster(result.suggestions, roster)
        now = self.clock.now()
        return EssayAssociation(
            id=uuid4(),
            batch_id=event.batch_id,
            class_id=event.class_id,
            essay_id=result.essay_id,
            suggested_student_id=None if best is None else best.student_id,
            confidence_score=None if best is None else best.confidence_score,
            source_event_id=event_id,
            created_at=now,
            updated_at=now,
            file_name=result.file_name,
            text_storage_id=result.text_storage_id,
            no_match_reason=_no_match_reason(result, best),
        )

    def _notify(self, owner: str, event: BatchAuthorMatchesSuggestedV1, stored: int) -> None:
        data = {"batch_id": str(event.batch_id), "class_id": str(event.class_id), "new": stored}
        notification = Notification(owner, "student_associations_suggested", data)
        self.uow.after_commit(partial(self.notifier.send, notification))


def _best_on_roster(
    suggestions: list[StudentMatchSuggestion], roster: set[UUID]
) -> StudentMatchSuggestion | None:
    # Suggestions come best first; one naming a student outside the class is not usable.
    return next((item for item in suggestions if item.student_id in roster), None)


def _no_match_reason(result: EssayMatchResult, best: StudentMatchSuggestion | None) -> str | None:
    if best is not None:
        return None
    if result.suggestions:
        return "no suggested student is on the class roster"
    return result.no_match_reason or "no suggestion"
