"""Ports at the service's real seams: the judge, the two services it calls, and its storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from common_core.domain_enums import JudgeKind
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.unit_of_work import UnitOfWork as KitUnitOfWork
from services.cj_assessment_service.domain.judging import JudgeTask, JudgeVerdict
from services.cj_assessment_service.models_db import (
    Anchor,
    Assessment,
    AssessmentEssay,
    Comparison,
    ComparisonRound,
    Essay,
    EssayScore,
    GradeProjectionRow,
    JudgeStatisticsRow,
)


class ComparisonJudge(Protocol):
    """Raises JudgeAnswerInvalid or JudgeUnavailable (domain.judging) instead of guessing."""

    @property
    def kind(self) -> JudgeKind: ...

    async def judge(self, task: JudgeTask) -> JudgeVerdict: ...


class CreditsRefused(Exception):
    def __init__(self, detail: ErrorDetail) -> None:
        super().__init__(detail.message)
        self.detail = detail


class CreditsUnavailable(Exception):
    """Entitlements could not be asked (down, timing out, circuit open): try again later."""


class CreditGateway(Protocol):
    async def authorize(
        self, *, user_id: str, org_id: str | None, quantity: int, key: str, resource_id: str
    ) -> UUID: ...

    async def consume(
        self, authorization_id: UUID, *, user_id: str, quantity: int, key: str
    ) -> None: ...

    async def release(self, authorization_id: UUID, *, user_id: str, reason: str) -> None: ...


class ContentMissing(Exception):
    pass


class ContentUnavailable(Exception):
    pass


class ContentSource(Protocol):
    async def text(self, storage_id: str) -> str: ...


class EssayRepository(Protocol):
    async def add_if_new(self, essay: Essay) -> bool: ...

    async def mark_removed(self, essay_id: UUID, at: datetime) -> None: ...

    async def live_in_batch(self, batch_id: UUID, owner_user_id: str) -> list[Essay]: ...

    async def any_in_batch(self, batch_id: UUID, owner_user_id: str) -> bool: ...


class AnchorRepository(Protocol):
    async def add(self, anchor: Anchor) -> None: ...

    async def for_course(
        self, owner_user_id: str, course_code: str, assignment_id: str | None
    ) -> list[Anchor]: ...

    async def by_ids(self, anchor_ids: Sequence[UUID]) -> list[Anchor]: ...

    async def list_for_owner(
        self, owner_user_id: str, course_code: str | None, assignment_id: str | None
    ) -> list[Anchor]: ...


class AssessmentRepository(Protocol):
    async def add(
        self, assessment: Assessment, participants: Sequence[AssessmentEssay]
    ) -> None: ...

    async def get(self, assessment_id: UUID, *, lock: bool = False) -> Assessment | None: ...

    async def active_for_batch(self, user_id: str, batch_id: UUID) -> Assessment | None: ...

    async def participants(self, assessment_id: UUID) -> list[AssessmentEssay]: ...

    async def claim_due(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[UUID]: ...

    async def stalled(self, progress_before: datetime, limit: int) -> list[UUID]: ...

    async def count_by_state(self) -> dict[str, int]: ...

    async def renew_leases(self, owner: str, ids: Sequence[UUID], until: datetime) -> None: ...


class ComparisonRepository(Protocol):
    async def add_round(
        self, round_: ComparisonRound, comparisons: Sequence[Comparison]
    ) -> None: ...

    async def rounds(self, assessment_id: UUID) -> list[ComparisonRound]: ...

    async def all(self, assessment_id: UUID) -> list[Comparison]: ...

    async def get(self, comparison_id: UUID, *, lock: bool = False) -> Comparison | None: ...


class ResultRepository(Protocol):
    async def add(
        self, scores: Sequence[EssayScore], projections: Sequence[GradeProjectionRow]
    ) -> None: ...

    async def for_assessment(
        self, assessment_id: UUID
    ) -> list[tuple[EssayScore, GradeProjectionRow | None]]: ...

    async def add_judges(self, rows: Sequence[JudgeStatisticsRow]) -> None: ...

    async def judges(self, assessment_id: UUID) -> list[JudgeStatisticsRow]: ...


class UnitOfWork(KitUnitOfWork, Protocol):
    """The repositories of one transaction, over the library's unit of work (SqlUnitOfWork, or
    InMemoryUnitOfWork in the unit tests)."""

    @property
    def essays(self) -> EssayRepository: ...

    @property
    def anchors(self) -> AnchorRepository: ...

    @property
    def assessments(self) -> AssessmentRepository: ...

    @property
    def comparisons(self) -> ComparisonRepository: ...

    @property
    def results(self) -> ResultRepository: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
