"""A consistent read of one assessment: its row, participants, rounds and comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.cj_assessment_service.domain.outcome import Judged, Participant
from services.cj_assessment_service.domain.pairing import PairingHistory, PlannedPair
from services.cj_assessment_service.models_db import (
    Assessment,
    AssessmentEssay,
    Comparison,
    ComparisonRound,
)
from services.cj_assessment_service.protocols import UnitOfWork

PENDING = "pending"
COMPLETED = "completed"
FAILED = "failed"


@dataclass(frozen=True)
class Snapshot:
    assessment: Assessment
    participants: list[AssessmentEssay]
    rounds: list[ComparisonRound]
    comparisons: list[Comparison]

    @property
    def open_round(self) -> ComparisonRound | None:
        return next((r for r in self.rounds if r.closed_at is None), None)

    def pending_in(self, round_no: int) -> list[Comparison]:
        return [c for c in self.comparisons if c.round_no == round_no and c.status == PENDING]

    def completed_in(self, round_no: int) -> int:
        return sum(1 for c in self.comparisons if c.round_no == round_no and c.status == COMPLETED)

    def judged(self) -> list[Judged]:
        return [
            Judged(c.first_position, c.second_position, c.winner == "A", c.judge or "")
            for c in self.comparisons
            if c.status == COMPLETED
        ]

    def participants_model(self) -> list[Participant]:
        return [Participant(p.position, p.essay_id, p.anchor_grade) for p in self.participants]

    def history(self) -> PairingHistory:
        """Pairs asked (answered or open) count; a failed pair is only marked as used, so another
        pair replaces it and its essays keep their place in the design."""
        history = PairingHistory(len(self.participants))
        for c in self.comparisons:
            pair = PlannedPair(c.first_position, c.second_position)
            if c.status == FAILED:
                history.exclude(pair)
            else:
                history.record(pair)
        return history

    def counts(self) -> list[int]:
        counts = [0] * len(self.participants)
        for c in self.comparisons:
            if c.status == COMPLETED:
                counts[c.first_position] += 1
                counts[c.second_position] += 1
        return counts


async def load_snapshot(uow: UnitOfWork, assessment_id: UUID) -> Snapshot | None:
    assessment = await uow.assessments.get(assessment_id)
    if assessment is None:
        return None
    return Snapshot(
        assessment,
        await uow.assessments.participants(assessment_id),
        await uow.comparisons.rounds(assessment_id),
        await uow.comparisons.all(assessment_id),
    )
