"""Creating an assessment: from a teacher's file-service batch (HTTP) or an ELS request (Kafka)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from uuid import UUID, uuid4

from common_core.courses import CourseCode, Language
from common_core.domain_enums import CJBatchState, JudgeKind
from common_core.events.cj import JudgeOverrides
from common_core.grade_scales import grade_scale
from huleedu_service_libs.clock import Clock
from services.cj_assessment_service.domain.design import DesignSettings
from services.cj_assessment_service.domain.errors import (
    Conflict,
    InsufficientEssays,
    InvalidRequest,
)
from services.cj_assessment_service.domain.pairing import planned_budget
from services.cj_assessment_service.handlers.support import design_to_json
from services.cj_assessment_service.models_db import Anchor, Assessment, AssessmentEssay
from services.cj_assessment_service.protocols import UnitOfWork


@dataclass(frozen=True)
class AssessmentDefaults:
    design: DesignSettings
    judge_kind: JudgeKind
    max_essays: int
    max_anchors: int


@dataclass(frozen=True)
class EssayRef:
    essay_id: UUID
    text_storage_id: str


@dataclass(frozen=True)
class AssessmentRequest:
    user_id: str
    org_id: str | None
    batch_id: UUID
    course_code: CourseCode
    language: Language
    assignment_id: str | None
    essays: list[EssayRef]
    origin: str
    correlation_id: UUID
    overrides: JudgeOverrides | None = None
    comparisons_per_essay: int | None = None
    request_event_id: UUID | None = None


@dataclass
class AssessmentFactory:
    """Builds and stores a new assessment in the caller's unit of work (the caller commits)."""

    clock: Clock
    defaults: AssessmentDefaults

    async def create_in(self, uow: UnitOfWork, request: AssessmentRequest) -> Assessment:
        essays = _distinct(request.essays)
        self._check_size(essays)
        existing = await uow.assessments.active_for_batch(request.user_id, request.batch_id)
        if existing is not None:
            raise Conflict(
                "an assessment of this batch is already running", assessment_id=str(existing.id)
            )
        anchors = self._usable_anchors(
            await uow.anchors.for_course(
                request.user_id, request.course_code.value, request.assignment_id
            ),
            request.course_code,
        )
        assessment = self._assessment(request, len(essays) + len(anchors), bool(anchors))
        await uow.assessments.add(assessment, _participants(assessment.id, essays, anchors))
        return assessment

    def _check_size(self, essays: list[EssayRef]) -> None:
        if len(essays) < 2:
            raise InsufficientEssays(
                "an assessment needs at least two essays", essay_count=len(essays)
            )
        if len(essays) > self.defaults.max_essays:
            raise InvalidRequest(
                f"an assessment takes at most {self.defaults.max_essays} essays",
                essay_count=len(essays),
            )

    def _usable_anchors(self, anchors: list[Anchor], course: CourseCode) -> list[Anchor]:
        scale = grade_scale(course.default_grade_scale)
        on_scale = [a for a in anchors if a.grade_scale == scale.id and a.grade in scale.grades]
        chosen = on_scale[: self.defaults.max_anchors]
        # Anchors of a single grade cost comparisons but cannot place any boundary.
        return chosen if len({a.grade for a in chosen}) >= 2 else []

    def _assessment(self, request: AssessmentRequest, size: int, anchored: bool) -> Assessment:
        now = self.clock.now()
        design = self._design(request)
        return Assessment(
            id=uuid4(),
            user_id=request.user_id,
            org_id=request.org_id,
            batch_id=request.batch_id,
            origin=request.origin,
            request_event_id=request.request_event_id,
            language=request.language.value,
            course_code=request.course_code.value,
            assignment_id=request.assignment_id,
            grade_scale=request.course_code.default_grade_scale.value if anchored else None,
            judge_kind=self.defaults.judge_kind.value,
            judge_overrides=request.overrides.model_dump(exclude_none=True)
            if request.overrides
            else None,
            design=design_to_json(design),
            state=CJBatchState.INITIALIZING.value,
            planned_comparisons=planned_budget(
                size, design.comparisons_per_essay, design.max_comparisons
            ),
            completed_comparisons=0,
            failed_comparisons=0,
            rounds_done=0,
            correlation_id=request.correlation_id,
            next_attempt_at=now,
            progress_at=now,
            created_at=now,
            updated_at=now,
        )

    def _design(self, request: AssessmentRequest) -> DesignSettings:
        per_essay = request.comparisons_per_essay
        if per_essay is None:
            return self.defaults.design
        return dataclasses.replace(self.defaults.design, comparisons_per_essay=per_essay)


def _distinct(essays: list[EssayRef]) -> list[EssayRef]:
    seen: dict[UUID, EssayRef] = {}
    for essay in essays:
        seen.setdefault(essay.essay_id, essay)
    return list(seen.values())


def _participants(
    assessment_id: UUID, essays: list[EssayRef], anchors: list[Anchor]
) -> list[AssessmentEssay]:
    rows = [
        AssessmentEssay(
            assessment_id=assessment_id,
            position=position,
            essay_id=essay.essay_id,
            text_storage_id=essay.text_storage_id,
        )
        for position, essay in enumerate(essays)
    ]
    rows += [
        AssessmentEssay(
            assessment_id=assessment_id,
            position=len(essays) + offset,
            essay_id=anchor.id,
            anchor_id=anchor.id,
            anchor_grade=anchor.grade,
        )
        for offset, anchor in enumerate(anchors)
    ]
    return rows
