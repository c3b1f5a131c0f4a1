"""Cross-field rules of payloads whose fields alone cannot say what is valid."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from common_core.domain_enums import AssociationStatus, JudgeKind, ValidationMethod
from common_core.events import (
    AssessmentResultV1,
    ConfirmedStudentAssociation,
    EssayAssessmentResult,
)
from common_core.grade_scales import GradeScaleId

SWEDISH_PROBABILITIES = {"F": 0.05, "E": 0.15, "D": 0.5, "C": 0.2, "B": 0.1, "A": 0.0}


def essay_result(rank: int = 1, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "essay_id": uuid4(),
        "rank": rank,
        "score": 0.4,
        "standard_error": 0.3,
        "normalized_score": 0.6,
        "comparison_count": 10,
    }
    return fields | overrides


def graded(rank: int = 1, **overrides: Any) -> dict[str, Any]:
    projection = {
        "projected_grade": "D",
        "grade_probabilities": SWEDISH_PROBABILITIES,
        "grade_confidence": "medium",
    }
    return essay_result(rank, **projection | overrides)


def assessment(results: list[dict[str, Any]], scale: GradeScaleId | None) -> AssessmentResultV1:
    return AssessmentResultV1.model_validate(
        {
            "assessment_id": uuid4(),
            "batch_id": uuid4(),
            "user_id": "teacher-1",
            "course_code": "SV1",
            "judge_kind": JudgeKind.SIMULATED,
            "reliability": 0.82,
            "grade_scale": scale,
            "essay_results": results,
        }
    )


def test_a_full_projection_is_accepted() -> None:
    result = EssayAssessmentResult.model_validate(graded())

    assert result.grade_probabilities["D"] == 0.5


def test_ungraded_result_is_accepted() -> None:
    assert EssayAssessmentResult.model_validate(essay_result()).projected_grade is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"grade_probabilities": {"D": 0.5, "C": 0.2}}, "sum to 1"),
        ({"projected_grade": "A+"}, "projected grade among them"),
        ({"grade_confidence": None}, "confidence"),
        ({"grade_probabilities": {}}, "needs grade probabilities"),
    ],
)
def test_an_incomplete_or_inconsistent_projection_is_refused(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        EssayAssessmentResult.model_validate(graded(**overrides))


def test_ranks_must_be_one_to_n() -> None:
    assert len(assessment([essay_result(2), essay_result(1)], None).essay_results) == 2

    with pytest.raises(ValidationError, match="ranks"):
        assessment([essay_result(1), essay_result(1)], None)
    with pytest.raises(ValidationError, match="ranks"):
        assessment([essay_result(1), essay_result(3)], None)


def test_grades_need_a_scale_and_must_be_on_it() -> None:
    assert assessment([graded()], GradeScaleId.SWEDISH_A_F).grade_scale is GradeScaleId.SWEDISH_A_F

    with pytest.raises(ValidationError, match="need a grade_scale"):
        assessment([graded()], None)
    with pytest.raises(ValidationError, match="not on the assessment's grade scale"):
        assessment([graded()], GradeScaleId.ENGLISH_NATIONAL_1_9)


def association(status: AssociationStatus, with_student: bool) -> dict[str, Any]:
    return {
        "essay_id": uuid4(),
        "student_id": uuid4() if with_student else None,
        "status": status,
        "validation_method": ValidationMethod.HUMAN,
        "validated_at": datetime.now(UTC),
    }


@pytest.mark.parametrize(
    ("status", "with_student"),
    [
        (AssociationStatus.CONFIRMED, True),
        (AssociationStatus.TIMEOUT_CONFIRMED, True),
        (AssociationStatus.REJECTED, False),
    ],
)
def test_resolved_associations_are_accepted(status: AssociationStatus, with_student: bool) -> None:
    parsed = ConfirmedStudentAssociation.model_validate(association(status, with_student))

    assert parsed.status is status


@pytest.mark.parametrize(
    ("status", "with_student", "message"),
    [
        (AssociationStatus.PENDING_VALIDATION, True, "pending"),
        (AssociationStatus.CONFIRMED, False, "student_id is required"),
        (AssociationStatus.REJECTED, True, "student_id is required unless"),
    ],
)
def test_unresolved_or_inconsistent_associations_are_refused(
    status: AssociationStatus, with_student: bool, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ConfirmedStudentAssociation.model_validate(association(status, with_student))
