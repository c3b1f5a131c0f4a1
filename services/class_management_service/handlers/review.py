"""Teacher review of a batch's suggested authors, and the confirmation that follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from uuid import UUID

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.redis import Notification, Notifier
from services.class_management_service.domain.commands import EssayDecision, ReviewAction
from services.class_management_service.domain.errors import (
    AssociationNotFoundError,
    BatchNotFoundError,
    InvalidInputError,
    StudentNotFoundError,
)
from services.class_management_service.domain.model import EssayAssociation, Student
from services.class_management_service.domain.review import apply_decision
from services.class_management_service.handlers import events
from services.class_management_service.metrics import ClassManagementMetrics, MatchOutcome
from services.class_management_service.protocols import UnitOfWork


@dataclass(frozen=True)
class BatchReview:
    batch_id: UUID
    class_id: UUID
    associations: list[EssayAssociation]
    roster: list[Student]
    completed: bool = False  # this call resolved the batch's last essay
    # Suggested or decided students no longer on the roster, so every name can still be shown.
    former_members: list[Student] = field(default_factory=list)

    @property
    def pending_count(self) -> int:
        return sum(1 for association in self.associations if association.is_pending)


@dataclass
class ReviewHandlers:
    uow: UnitOfWork
    clock: Clock
    notifier: Notifier
    metrics: ClassManagementMetrics
    roster_limit: int = 10_000

    async def review(self, owner: str, batch_id: UUID) -> BatchReview:
        async with self.uow.read_only():
            associations = await self._owned_batch(owner, batch_id)
            return await self._review(associations, completed=False)

    async def confirm(
        self, owner: str, batch_id: UUID, decisions: list[EssayDecision]
    ) -> BatchReview:
        _refuse_repeated_essays(decisions)
        async with self.uow:
            await self.uow.associations.lock_batch(batch_id, wait=True)
            current = await self._owned_batch(owner, batch_id)
            changed = await self._decide(owner, current, decisions)
            after = _merge(current, changed)
            completed = bool(changed) and not any(item.is_pending for item in after)
            if changed:
                await self.uow.associations.update_many(changed)
                self._announce(owner, after, completed)
                await self.uow.commit()
                self.metrics.matched(MatchOutcome.CONFIRMED, len(changed))
            return await self._review(after, completed)

    async def _decide(
        self, owner: str, current: list[EssayAssociation], decisions: list[EssayDecision]
    ) -> list[EssayAssociation]:
        by_essay = {association.essay_id: association for association in current}
        roster = await self.uow.memberships.member_ids(current[0].class_id)
        now = self.clock.now()
        changed: list[EssayAssociation] = []
        for decision in decisions:
            association = by_essay.get(decision.essay_id)
            if association is None:
                raise AssociationNotFoundError(current[0].batch_id, decision.essay_id)
            resolved = apply_decision(association, decision, owner, now)
            _require_on_roster(resolved, decision, roster)
            if resolved is not None:
                changed.append(resolved)
        return changed

    def _announce(self, owner: str, after: list[EssayAssociation], completed: bool) -> None:
        first = after[0]
        if completed:
            self.uow.emit(
                events.associations_confirmed(after, timeout_triggered=False),
                aggregate_type=events.BATCH,
                aggregate_id=first.batch_id,
                event_id=events.associations_confirmed_event_id(after),
            )
        data = {"batch_id": str(first.batch_id), "completed": completed}
        notification = Notification(owner, "student_associations_reviewed", data)
        self.uow.after_commit(partial(self.notifier.send, notification))

    async def _owned_batch(self, owner: str, batch_id: UUID) -> list[EssayAssociation]:
        associations = await self.uow.associations.for_batch(batch_id)
        if not associations:
            raise BatchNotFoundError(batch_id)
        if await self.uow.classes.get_owned(owner, associations[0].class_id) is None:
            raise BatchNotFoundError(batch_id)
        return associations

    async def _review(self, associations: list[EssayAssociation], completed: bool) -> BatchReview:
        first = associations[0]
        roster = (await self.uow.memberships.roster(first.class_id, self.roster_limit, 0)).items
        named = {
            student_id
            for item in associations
            for student_id in (item.suggested_student_id, item.student_id)
            if student_id is not None
        }
        former = await self.uow.students.get_many(list(named - {s.id for s in roster}))
        return BatchReview(first.batch_id, first.class_id, associations, roster, completed, former)


def _refuse_repeated_essays(decisions: list[EssayDecision]) -> None:
    if not decisions:
        raise InvalidInputError("No decisions given")
    essays = [decision.essay_id for decision in decisions]
    repeated = sorted({str(essay) for essay in essays if essays.count(essay) > 1})
    if repeated:
        raise InvalidInputError("Each essay may be decided once per request", essay_ids=repeated)


def _require_on_roster(
    resolved: EssayAssociation | None, decision: EssayDecision, roster: set[UUID]
) -> None:
    chosen = decision.student_id if decision.action is ReviewAction.CHOOSE else None
    student_id = chosen or (resolved.student_id if resolved is not None else None)
    if student_id is not None and student_id not in roster:
        raise StudentNotFoundError(student_id, "The student is not on the class roster")


def _merge(
    current: list[EssayAssociation], changed: list[EssayAssociation]
) -> list[EssayAssociation]:
    by_id = {association.id: association for association in changed}
    return [by_id.get(association.id, association) for association in current]
