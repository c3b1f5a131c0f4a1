"""A class with a roster and a batch of suggestions, shared by the matching tests."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from common_core.events.class_management import (
    BatchAuthorMatchesSuggestedV1,
    EssayMatchResult,
    StudentMatchSuggestion,
)
from services.class_management_service.domain.commands import CreateClass, CreateStudent
from services.class_management_service.tests.wiring import UseCases


@dataclass
class Batch:
    class_id: UUID
    students: list[UUID]
    batch_id: UUID
    essays: list[UUID]
    event: BatchAuthorMatchesSuggestedV1


async def class_with_roster(
    use_cases: UseCases, owner: str, size: int = 3
) -> tuple[UUID, list[UUID]]:
    class_id = (await use_cases.classes.create(owner, CreateClass("9A", ["ENG5"]))).school_class.id
    ids = [
        (
            await use_cases.students.create(
                owner, CreateStudent(f"S{i}", "L", f"s{i}.{class_id}@x.se", [class_id])
            )
        ).student.id
        for i in range(size)
    ]
    return class_id, ids


def suggestions_event(
    batch_id: UUID, class_id: UUID, essays: list[tuple[UUID, UUID | None, float]]
) -> BatchAuthorMatchesSuggestedV1:
    results = [
        EssayMatchResult(
            essay_id=essay_id,
            file_name=f"{essay_id}.txt",
            suggestions=[]
            if student_id is None
            else [
                StudentMatchSuggestion(
                    student_id=student_id, student_name="S", confidence_score=confidence
                )
            ],
            no_match_reason="no name found" if student_id is None else None,
        )
        for essay_id, student_id, confidence in essays
    ]
    return BatchAuthorMatchesSuggestedV1(
        batch_id=batch_id, class_id=class_id, match_results=results
    )


async def suggested_batch(
    use_cases: UseCases, owner: str, confidences: list[float | None]
) -> Batch:
    """One essay per confidence; None means no suggestion at all."""
    class_id, students = await class_with_roster(use_cases, owner, size=len(confidences))
    batch_id = uuid4()
    essays = [uuid4() for _ in confidences]
    rows = [
        (essay, None if confidence is None else student, confidence or 0.0)
        for essay, student, confidence in zip(essays, students, confidences, strict=True)
    ]
    event = suggestions_event(batch_id, class_id, rows)
    await use_cases.suggestions.handle(uuid4(), event)
    return Batch(class_id, students, batch_id, essays, event)
