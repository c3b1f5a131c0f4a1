"""PostgreSQL repositories. They read and stage changes in the caller's session; never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

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

TERMINAL = ("completed", "failed", "cancelled")


class SqlEssayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_new(self, essay: Essay) -> bool:
        values = {c.key: getattr(essay, c.key) for c in Essay.__table__.columns}
        statement = insert(Essay).values(values).on_conflict_do_nothing().returning(Essay.essay_id)
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def mark_removed(self, essay_id: UUID, at: datetime) -> None:
        await self.session.execute(
            update(Essay)
            .where(Essay.essay_id == essay_id, Essay.removed_at.is_(None))
            .values(removed_at=at)
        )

    async def live_in_batch(self, batch_id: UUID, owner_user_id: str) -> list[Essay]:
        statement = (
            select(Essay)
            .where(
                Essay.batch_id == batch_id,
                Essay.owner_user_id == owner_user_id,
                Essay.removed_at.is_(None),
            )
            .order_by(Essay.provisioned_at, Essay.essay_id)
        )
        return list((await self.session.scalars(statement)).all())

    async def any_in_batch(self, batch_id: UUID, owner_user_id: str) -> bool:
        statement = select(Essay.essay_id).where(
            Essay.batch_id == batch_id, Essay.owner_user_id == owner_user_id
        )
        return (await self.session.scalars(statement.limit(1))).first() is not None


class SqlAnchorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, anchor: Anchor) -> None:
        self.session.add(anchor)

    async def for_course(
        self, owner_user_id: str, course_code: str, assignment_id: str | None
    ) -> list[Anchor]:
        scope: ColumnElement[bool] = Anchor.assignment_id.is_(None)
        if assignment_id is not None:
            scope = or_(scope, Anchor.assignment_id == assignment_id)
        statement = (
            select(Anchor)
            .where(Anchor.owner_user_id == owner_user_id, Anchor.course_code == course_code, scope)
            .order_by(Anchor.created_at.desc(), Anchor.id)
        )
        return list((await self.session.scalars(statement)).all())

    async def by_ids(self, anchor_ids: Sequence[UUID]) -> list[Anchor]:
        statement = select(Anchor).where(Anchor.id.in_(list(anchor_ids)))
        return list((await self.session.scalars(statement)).all())

    async def list_for_owner(
        self, owner_user_id: str, course_code: str | None, assignment_id: str | None
    ) -> list[Anchor]:
        statement = select(Anchor).where(Anchor.owner_user_id == owner_user_id)
        if course_code is not None:
            statement = statement.where(Anchor.course_code == course_code)
        if assignment_id is not None:
            statement = statement.where(Anchor.assignment_id == assignment_id)
        statement = statement.order_by(Anchor.created_at, Anchor.id)
        return list((await self.session.scalars(statement)).all())


class SqlAssessmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, assessment: Assessment, participants: Sequence[AssessmentEssay]) -> None:
        self.session.add(assessment)
        await self.session.flush()  # the unique index on active batches speaks here
        self.session.add_all(participants)

    async def get(self, assessment_id: UUID, *, lock: bool = False) -> Assessment | None:
        statement = select(Assessment).where(Assessment.id == assessment_id)
        if lock:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(statement)).first()

    async def active_for_batch(self, user_id: str, batch_id: UUID) -> Assessment | None:
        statement = select(Assessment).where(
            Assessment.user_id == user_id,
            Assessment.batch_id == batch_id,
            Assessment.state.not_in(TERMINAL),
        )
        return (await self.session.scalars(statement)).first()

    async def participants(self, assessment_id: UUID) -> list[AssessmentEssay]:
        statement = (
            select(AssessmentEssay)
            .where(AssessmentEssay.assessment_id == assessment_id)
            .order_by(AssessmentEssay.position)
        )
        return list((await self.session.scalars(statement)).all())

    async def claim_due(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[UUID]:
        unsettled = and_(
            Assessment.authorization_id.is_not(None), Assessment.credits_settled_at.is_(None)
        )
        due = (
            select(Assessment.id)
            .where(
                or_(Assessment.state.not_in(TERMINAL), unsettled),
                Assessment.next_attempt_at <= now,
                or_(Assessment.lease_expires_at.is_(None), Assessment.lease_expires_at < now),
            )
            .order_by(Assessment.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = (
            update(Assessment)
            .where(Assessment.id.in_(due.scalar_subquery()))
            .values(lease_owner=owner, lease_expires_at=lease_until)
            .returning(Assessment.id)
        )
        return list((await self.session.scalars(claimed)).all())

    async def renew_leases(self, owner: str, ids: Sequence[UUID], until: datetime) -> None:
        await self.session.execute(
            update(Assessment)
            .where(Assessment.id.in_(list(ids)), Assessment.lease_owner == owner)
            .values(lease_expires_at=until)
        )

    async def count_by_state(self) -> dict[str, int]:
        statement = select(Assessment.state, func.count()).group_by(Assessment.state)
        rows = (await self.session.execute(statement)).all()
        return {str(state): int(count) for state, count in rows}

    async def stalled(self, progress_before: datetime, limit: int) -> list[UUID]:
        statement = (
            select(Assessment.id)
            .where(Assessment.state.not_in(TERMINAL), Assessment.progress_at < progress_before)
            .order_by(Assessment.progress_at)
            .limit(limit)
        )
        return list((await self.session.scalars(statement)).all())


class SqlComparisonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_round(self, round_: ComparisonRound, comparisons: Sequence[Comparison]) -> None:
        self.session.add(round_)
        await self.session.flush()
        self.session.add_all(comparisons)

    async def rounds(self, assessment_id: UUID) -> list[ComparisonRound]:
        statement = (
            select(ComparisonRound)
            .where(ComparisonRound.assessment_id == assessment_id)
            .order_by(ComparisonRound.round_no)
        )
        return list((await self.session.scalars(statement)).all())

    async def all(self, assessment_id: UUID) -> list[Comparison]:
        statement = (
            select(Comparison)
            .where(Comparison.assessment_id == assessment_id)
            .order_by(Comparison.round_no, Comparison.requested_at, Comparison.id)
        )
        return list((await self.session.scalars(statement)).all())

    async def get(self, comparison_id: UUID, *, lock: bool = False) -> Comparison | None:
        statement = select(Comparison).where(Comparison.id == comparison_id)
        if lock:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(statement)).first()


class SqlResultRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, scores: Sequence[EssayScore], projections: Sequence[GradeProjectionRow]
    ) -> None:
        self.session.add_all(scores)
        await self.session.flush()
        self.session.add_all(projections)

    async def for_assessment(
        self, assessment_id: UUID
    ) -> list[tuple[EssayScore, GradeProjectionRow | None]]:
        statement = (
            select(EssayScore, GradeProjectionRow)
            .outerjoin(
                GradeProjectionRow,
                and_(
                    GradeProjectionRow.assessment_id == EssayScore.assessment_id,
                    GradeProjectionRow.position == EssayScore.position,
                ),
            )
            .where(EssayScore.assessment_id == assessment_id)
            .order_by(EssayScore.rank)
        )
        return [
            (score, projection) for score, projection in (await self.session.execute(statement))
        ]

    async def add_judges(self, rows: Sequence[JudgeStatisticsRow]) -> None:
        self.session.add_all(rows)

    async def judges(self, assessment_id: UUID) -> list[JudgeStatisticsRow]:
        statement = (
            select(JudgeStatisticsRow)
            .where(JudgeStatisticsRow.assessment_id == assessment_id)
            .order_by(JudgeStatisticsRow.judgements.desc(), JudgeStatisticsRow.judge)
        )
        return list((await self.session.scalars(statement)).all())
