import math
from typing import Self
from uuid import UUID

from pydantic import Field, model_validator

from common_core.courses import CourseCode, Language
from common_core.domain_enums import CJStopReason, GradeConfidence, JudgeKind
from common_core.events.base import EventPayload
from common_core.field_types import (
    FiniteFloat,
    NonEmptyStr,
    NonNegativeFloat,
    NonNegativeInt,
    OrgId,
    PositiveInt,
    Probability,
    StorageId,
    UserId,
)
from common_core.grade_scales import GradeScaleId, grade_scale
from common_core.models.error_models import ErrorDetail

_PROBABILITY_SUM_TOLERANCE = 1e-6


class EssayReference(EventPayload):
    essay_id: UUID
    text_storage_id: StorageId


class JudgeOverrides(EventPayload):
    llm_model: NonEmptyStr | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: PositiveInt | None = None


class ELS_CJAssessmentRequestV1(EventPayload):  # noqa: N801 - the name the producing platform uses
    """A request from the essay lifecycle service to rank and grade a batch of essays.

    Fewer than two essays is a business failure reported with CJAssessmentFailedV1, not a decoding
    error, so the list may be short here.
    """

    batch_id: UUID
    essays: list[EssayReference]
    language: Language
    course_code: CourseCode
    assignment_id: NonEmptyStr | None = None
    user_id: UserId
    org_id: OrgId | None = None
    judge_overrides: JudgeOverrides | None = None


class CJAssessmentStartedV1(EventPayload):
    """Comparisons are about to start; the file service locks the batch on this."""

    assessment_id: UUID
    batch_id: UUID
    user_id: UserId
    essay_count: NonNegativeInt
    planned_comparisons: NonNegativeInt


class CJAssessmentCompletedV1(EventPayload):
    assessment_id: UUID
    batch_id: UUID
    user_id: UserId
    org_id: OrgId | None = None
    essay_count: NonNegativeInt
    comparisons_completed: NonNegativeInt
    reliability: FiniteFloat = Field(description="Scale separation reliability (SSR).")
    stop_reason: CJStopReason
    judge_kind: JudgeKind
    grade_scale: GradeScaleId | None = Field(
        default=None, description="None when no anchors allowed a grade projection."
    )


class CJAssessmentFailedV1(EventPayload):
    assessment_id: UUID | None = Field(
        default=None, description="None when the request was refused before an assessment existed."
    )
    batch_id: UUID
    user_id: UserId
    comparisons_completed: NonNegativeInt = 0
    error_detail: ErrorDetail


class EssayAssessmentResult(EventPayload):
    essay_id: UUID
    is_anchor: bool = False
    rank: PositiveInt = Field(description="1 is the strongest essay.")
    score: FiniteFloat = Field(description="Bradley-Terry ability, mean-centred logits.")
    standard_error: NonNegativeFloat
    normalized_score: Probability = Field(description="Score rescaled to 0..1 within the batch.")
    comparison_count: NonNegativeInt
    misfit: bool = False
    projected_grade: NonEmptyStr | None = None
    grade_probabilities: dict[NonEmptyStr, Probability] = Field(default_factory=dict)
    grade_confidence: GradeConfidence | None = None

    @model_validator(mode="after")
    def _projection_is_complete_or_absent(self) -> Self:
        projected = (self.projected_grade, self.grade_confidence)
        if not self.grade_probabilities:
            if projected != (None, None):
                raise ValueError("a projected grade needs grade probabilities")
            return self
        if None in projected or self.projected_grade not in self.grade_probabilities:
            raise ValueError(
                "grade probabilities need a projected grade among them and a confidence"
            )
        if not math.isclose(
            sum(self.grade_probabilities.values()), 1.0, abs_tol=_PROBABILITY_SUM_TOLERANCE
        ):
            raise ValueError("grade probabilities must sum to 1")
        return self


class AssessmentResultV1(EventPayload):
    """Per-essay results of a completed assessment, ranked."""

    assessment_id: UUID
    batch_id: UUID
    user_id: UserId
    course_code: CourseCode
    judge_kind: JudgeKind
    reliability: FiniteFloat
    grade_scale: GradeScaleId | None = None
    essay_results: list[EssayAssessmentResult]

    @model_validator(mode="after")
    def _ranks_are_a_permutation(self) -> Self:
        ranks = sorted(result.rank for result in self.essay_results)
        if ranks != list(range(1, len(ranks) + 1)):
            raise ValueError("essay ranks must be 1..n without gaps or ties")
        return self

    @model_validator(mode="after")
    def _grades_belong_to_the_scale(self) -> Self:
        graded = [result for result in self.essay_results if result.grade_probabilities]
        if graded and self.grade_scale is None:
            raise ValueError("grade probabilities need a grade_scale")
        if self.grade_scale is not None:
            scale = grade_scale(self.grade_scale)
            for result in graded:
                _check_grades_on_scale(result, scale.grades)
        return self


def _check_grades_on_scale(result: EssayAssessmentResult, grades: tuple[str, ...]) -> None:
    unknown = set(result.grade_probabilities) - set(grades)
    if unknown:
        raise ValueError(f"grades {sorted(unknown)} are not on the assessment's grade scale")
