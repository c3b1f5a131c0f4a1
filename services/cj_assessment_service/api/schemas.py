"""Request and response bodies of the teacher-facing API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from common_core.courses import CourseCode
from common_core.domain_enums import JudgeKind
from common_core.events.cj import JudgeOverrides
from common_core.grade_scales import GradeScaleId
from services.cj_assessment_service.handlers.anchors import NewAnchor, RegisterAnchors
from services.cj_assessment_service.handlers.queries import AssessmentResults
from services.cj_assessment_service.models_db import (
    Anchor,
    Assessment,
    EssayScore,
    GradeProjectionRow,
    JudgeStatisticsRow,
)

NO_PROJECTION_NOTE = (
    "No anchor essays of at least two distinct grades took part: ranks and scores only."
)
SIMULATED_NOTE = "Judged by the simulated judge: for development and demos, not a real assessment."


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateAssessmentRequest(Body):
    batch_id: UUID
    assignment_id: str | None = Field(default=None, min_length=1, max_length=1000)
    comparisons_per_essay: int | None = Field(default=None, ge=1, le=50)
    expected_essays: int | None = Field(default=None, ge=1, le=100_000)
    judge_overrides: JudgeOverrides | None = None


class Progress(BaseModel):
    comparisons_completed: int
    comparisons_planned: int
    comparisons_failed: int
    rounds_completed: int


class AssessmentBody(BaseModel):
    assessment_id: UUID
    batch_id: UUID
    state: str
    course_code: str
    judge_kind: JudgeKind
    judge_simulated: bool
    progress: Progress
    reliability: float | None
    split_half_reliability: float | None = Field(
        default=None,
        description="completed: the halves' agreement (Spearman-Brown), a check on reliability",
    )
    stop_reason: str | None
    grade_scale: str | None
    error: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, a: Assessment) -> AssessmentBody:
        return cls(
            assessment_id=a.id,
            batch_id=a.batch_id,
            state=a.state,
            course_code=a.course_code,
            judge_kind=JudgeKind(a.judge_kind),
            judge_simulated=a.judge_kind == JudgeKind.SIMULATED.value,
            progress=Progress(
                comparisons_completed=a.completed_comparisons,
                comparisons_planned=a.planned_comparisons,
                comparisons_failed=a.failed_comparisons,
                rounds_completed=a.rounds_done,
            ),
            reliability=a.reliability,
            split_half_reliability=a.split_half_reliability,
            stop_reason=a.stop_reason,
            grade_scale=a.grade_scale,
            error=a.error,
            created_at=a.created_at,
            updated_at=a.updated_at,
            completed_at=a.completed_at,
        )


class EssayResultBody(BaseModel):
    essay_id: UUID
    is_anchor: bool
    anchor_grade: str | None = Field(
        default=None, description="an anchor's known grade, to read beside its projected grade"
    )
    rank: int
    score: float
    standard_error: float
    normalized_score: float
    comparison_count: int
    infit: float
    outfit: float
    misfit: bool
    projected_grade: str | None
    grade_probability: float | None
    grade_confidence: str | None
    grade_probabilities: dict[str, float]

    @classmethod
    def of(
        cls, score: EssayScore, projection: GradeProjectionRow | None, anchor_grade: str | None
    ) -> EssayResultBody:
        return cls(
            essay_id=score.essay_id,
            is_anchor=score.is_anchor,
            anchor_grade=anchor_grade,
            rank=score.rank,
            score=score.score,
            standard_error=score.standard_error,
            normalized_score=score.normalized_score,
            comparison_count=score.comparison_count,
            infit=score.infit,
            outfit=score.outfit,
            misfit=score.misfit,
            projected_grade=projection.grade if projection else None,
            grade_probability=projection.probability if projection else None,
            grade_confidence=projection.confidence if projection else None,
            grade_probabilities=projection.probabilities if projection else {},
        )


class JudgeResultBody(BaseModel):
    """One judge identity, read against the fit of all judgements (the consensus)."""

    judge: str = Field(description='"llm:<model>;prompt=<version>", "simulated:seed=<n>", ...')
    judgements: int
    infit: float = Field(
        description="information-weighted mean square of the judge's residuals; about 1 when the"
        " judge is as consistent as the model expects, well above 1 for an erratic judge"
    )
    first_position_wins: float = Field(description='share of judgements won by "Essay A"')
    position_bias: float = Field(description='the judge\'s own logit advantage for "Essay A"')
    position_bias_se: float
    agreement: float = Field(description="share of judgements naming the fit's likelier winner")
    expected_agreement: float = Field(
        description="the agreement expected of a judge that follows the model exactly"
    )

    @classmethod
    def of(cls, row: JudgeStatisticsRow) -> JudgeResultBody:
        return cls(
            judge=row.judge,
            judgements=row.judgements,
            infit=row.infit,
            first_position_wins=row.first_position_wins,
            position_bias=row.position_bias,
            position_bias_se=row.position_bias_se,
            agreement=row.agreement,
            expected_agreement=row.expected_agreement,
        )


class ResultsBody(BaseModel):
    assessment: AssessmentBody
    grades_projected: bool
    notes: list[str]
    essays: list[EssayResultBody]
    judges: list[JudgeResultBody]

    @classmethod
    def of(cls, results: AssessmentResults) -> ResultsBody:
        projected = any(projection is not None for _, projection in results.rows)
        assessment = AssessmentBody.of(results.assessment)
        notes = [] if projected else [NO_PROJECTION_NOTE]
        if assessment.judge_simulated:
            notes.append(SIMULATED_NOTE)
        return cls(
            assessment=assessment,
            grades_projected=projected,
            notes=notes,
            essays=[
                EssayResultBody.of(score, projection, results.anchor_grades.get(score.position))
                for score, projection in results.rows
            ],
            judges=[JudgeResultBody.of(row) for row in results.judges],
        )


class AnchorIn(Body):
    grade: str = Field(
        min_length=1, max_length=16, description="A grade of the scale", examples=["A", "C", "E"]
    )
    text: str = Field(min_length=1)
    label: str | None = Field(default=None, max_length=255)


class RegisterAnchorsRequest(Body):
    course_code: CourseCode
    assignment_id: str | None = Field(default=None, min_length=1, max_length=1000)
    grade_scale: GradeScaleId | None = None
    anchors: list[AnchorIn] = Field(min_length=1, max_length=50)

    def command(self, user_id: str) -> RegisterAnchors:
        return RegisterAnchors(
            user_id=user_id,
            course_code=self.course_code,
            assignment_id=self.assignment_id,
            grade_scale=self.grade_scale,
            anchors=[NewAnchor(a.grade, a.text, a.label) for a in self.anchors],
        )


class AnchorBody(BaseModel):
    anchor_id: UUID
    course_code: str
    assignment_id: str | None
    grade_scale: str
    grade: str
    label: str | None
    text_chars: int
    created_at: datetime

    @classmethod
    def of(cls, anchor: Anchor) -> AnchorBody:
        return cls(
            anchor_id=anchor.id,
            course_code=anchor.course_code,
            assignment_id=anchor.assignment_id,
            grade_scale=anchor.grade_scale,
            grade=anchor.grade,
            label=anchor.label,
            text_chars=len(anchor.text),
            created_at=anchor.created_at,
        )


class AnchorList(BaseModel):
    anchors: list[AnchorBody]


class AnchorQuery(BaseModel):
    course_code: CourseCode | None = None
    assignment_id: str | None = Field(default=None, min_length=1, max_length=1000)
