"""Anchor essays: reference essays with known grades, per teacher, course and assignment."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from common_core.courses import CourseCode
from common_core.grade_scales import GradeScaleId, grade_scale
from huleedu_service_libs.clock import Clock
from services.cj_assessment_service.domain.errors import InvalidRequest
from services.cj_assessment_service.models_db import Anchor
from services.cj_assessment_service.protocols import UnitOfWorkFactory


@dataclass(frozen=True)
class NewAnchor:
    grade: str
    text: str
    label: str | None = None


@dataclass(frozen=True)
class RegisterAnchors:
    user_id: str
    course_code: CourseCode
    anchors: list[NewAnchor]
    assignment_id: str | None = None
    grade_scale: GradeScaleId | None = None


@dataclass
class AnchorCatalogue:
    uows: UnitOfWorkFactory
    clock: Clock
    max_text_chars: int

    async def register(self, command: RegisterAnchors) -> list[Anchor]:
        scale = grade_scale(command.grade_scale or command.course_code.default_grade_scale)
        for anchor in command.anchors:
            self._check(anchor, scale.grades, scale.id)
        rows = [self._row(command, scale.id, anchor) for anchor in command.anchors]
        async with self.uows() as uow:
            for row in rows:
                await uow.anchors.add(row)
            await uow.commit()
        return rows

    async def list(
        self, user_id: str, course_code: CourseCode | None, assignment_id: str | None
    ) -> list[Anchor]:
        async with self.uows() as uow:
            return await uow.anchors.list_for_owner(
                user_id, course_code.value if course_code else None, assignment_id
            )

    def _check(self, anchor: NewAnchor, grades: tuple[str, ...], scale: GradeScaleId) -> None:
        if anchor.grade not in grades:
            raise InvalidRequest(
                f"grade {anchor.grade!r} is not on the scale {scale}", grades=list(grades)
            )
        if not anchor.text.strip():
            raise InvalidRequest("an anchor needs its essay text")
        if len(anchor.text) > self.max_text_chars:
            raise InvalidRequest(
                f"an anchor text may have at most {self.max_text_chars} characters"
            )

    def _row(self, command: RegisterAnchors, scale: GradeScaleId, anchor: NewAnchor) -> Anchor:
        return Anchor(
            id=uuid4(),
            owner_user_id=command.user_id,
            course_code=command.course_code.value,
            assignment_id=command.assignment_id,
            grade_scale=scale.value,
            grade=anchor.grade,
            label=anchor.label,
            text=anchor.text,
            created_at=self.clock.now(),
        )
