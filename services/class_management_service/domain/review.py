"""How a teacher's decision, or the timeout, resolves a pending essay-student association."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from common_core.domain_enums import AssociationStatus, ValidationMethod
from services.class_management_service.domain.commands import EssayDecision, ReviewAction
from services.class_management_service.domain.errors import (
    AssociationAlreadyResolvedError,
    InvalidInputError,
)
from services.class_management_service.domain.model import EssayAssociation


def decided_student(association: EssayAssociation, decision: EssayDecision) -> UUID | None:
    if decision.action is ReviewAction.REJECT:
        return None
    if decision.action is ReviewAction.CHOOSE:
        if decision.student_id is None:
            raise InvalidInputError("choose needs a student_id", essay_id=str(decision.essay_id))
        return decision.student_id
    if association.suggested_student_id is None:
        raise InvalidInputError(
            "The essay has no suggested student to accept", essay_id=str(decision.essay_id)
        )
    return association.suggested_student_id


def apply_decision(
    association: EssayAssociation, decision: EssayDecision, teacher: str, at: datetime
) -> EssayAssociation | None:
    """The resolved association, or None when the same decision was already recorded."""
    student_id = decided_student(association, decision)
    status = (
        AssociationStatus.REJECTED
        if decision.action is ReviewAction.REJECT
        else AssociationStatus.CONFIRMED
    )
    if not association.is_pending:
        if _same_human_decision(association, student_id, status):
            return None
        raise AssociationAlreadyResolvedError(
            association.essay_id,
            association.validation_status.value,
            association.validation_method.value if association.validation_method else None,
        )
    return association.resolved(
        student_id=student_id, status=status, method=ValidationMethod.HUMAN, by=teacher, at=at
    )


def _same_human_decision(
    association: EssayAssociation, student_id: UUID | None, status: AssociationStatus
) -> bool:
    return (
        association.validation_method is ValidationMethod.HUMAN
        and association.validation_status is status
        and association.student_id == student_id
    )


@dataclass(frozen=True)
class TimeoutPolicy:
    timeout: timedelta
    confidence_threshold: float

    def cutoff(self, now: datetime) -> datetime:
        return now - self.timeout

    def is_due(self, association: EssayAssociation, now: datetime) -> bool:
        return association.is_pending and association.created_at <= self.cutoff(now)

    def keeps_suggestion(self, association: EssayAssociation) -> bool:
        return (
            association.suggested_student_id is not None
            and association.confidence_score is not None
            and association.confidence_score >= self.confidence_threshold
        )

    def resolve(
        self, association: EssayAssociation, unknown_student_id: UUID | None, at: datetime
    ) -> EssayAssociation:
        student_id = (
            association.suggested_student_id
            if self.keeps_suggestion(association)
            else unknown_student_id
        )
        if student_id is None:
            raise ValueError("a low-confidence association needs the class's UNKNOWN student")
        return association.resolved(
            student_id=student_id,
            status=AssociationStatus.TIMEOUT_CONFIRMED,
            method=ValidationMethod.TIMEOUT,
            by=None,
            at=at,
        )
