"""The in-memory repositories: the SQL repositories' queries over the in-memory tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

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
from services.cj_assessment_service.tests.support.memory_rows import (
    TERMINAL,
    MemorySession,
    Values,
)


class MemoryEssays:
    def __init__(self, session: MemorySession) -> None:
        self.session = session

    async def add_if_new(self, essay: Essay) -> bool:
        return self.session.insert_or_ignore(essay)

    async def mark_removed(self, essay_id: UUID, at: datetime) -> None:
        essay = self.session.get(Essay, essay_id)
        if essay is not None and essay.removed_at is None:
            essay.removed_at = at

    async def live_in_batch(self, batch_id: UUID, owner_user_id: str) -> list[Essay]:
        found = self.session.select(
            Essay,
            lambda e: (
                e["batch_id"] == batch_id
                and e["owner_user_id"] == owner_user_id
                and e["removed_at"] is None
            ),
        )
        return sorted(found, key=lambda e: (e.provisioned_at, e.essay_id))

    async def any_in_batch(self, batch_id: UUID, owner_user_id: str) -> bool:
        return bool(
            self.session.select(
                Essay, lambda e: e["batch_id"] == batch_id and e["owner_user_id"] == owner_user_id
            )
        )


class MemoryAnchors:
    def __init__(self, session: MemorySession) -> None:
        self.session = session

    async def add(self, anchor: Anchor) -> None:
        self.session.add(anchor)

    async def for_course(
        self, owner_user_id: str, course_code: str, assignment_id: str | None
    ) -> list[Anchor]:
        found = self.session.select(
            Anchor,
            lambda a: (
                a["owner_user_id"] == owner_user_id
                and a["course_code"] == course_code
                and a["assignment_id"] in (None, assignment_id)
            ),
        )
        return sorted(found, key=lambda a: (-a.created_at.timestamp(), a.id))

    async def by_ids(self, anchor_ids: Sequence[UUID]) -> list[Anchor]:
        wanted = set(anchor_ids)
        return self.session.select(Anchor, lambda a: a["id"] in wanted)

    async def list_for_owner(
        self, owner_user_id: str, course_code: str | None, assignment_id: str | None
    ) -> list[Anchor]:
        found = self.session.select(
            Anchor,
            lambda a: (
                a["owner_user_id"] == owner_user_id
                and course_code in (None, a["course_code"])
                and assignment_id in (None, a["assignment_id"])
            ),
        )
        return sorted(found, key=lambda a: (a.created_at, a.id))


class MemoryAssessments:
    def __init__(self, session: MemorySession) -> None:
        self.session = session

    async def add(self, assessment: Assessment, participants: Sequence[AssessmentEssay]) -> None:
        self.session.add(assessment)
        for participant in participants:
            self.session.add(participant)

    async def get(self, assessment_id: UUID, *, lock: bool = False) -> Assessment | None:
        return self.session.get(Assessment, assessment_id)

    async def active_for_batch(self, user_id: str, batch_id: UUID) -> Assessment | None:
        found = self.session.select(
            Assessment,
            lambda a: (
                a["user_id"] == user_id and a["batch_id"] == batch_id and a["state"] not in TERMINAL
            ),
        )
        return found[0] if found else None

    async def participants(self, assessment_id: UUID) -> list[AssessmentEssay]:
        found = self.session.select(AssessmentEssay, lambda p: p["assessment_id"] == assessment_id)
        return sorted(found, key=lambda p: p.position)

    async def claim_due(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[UUID]:
        due = self.session.select(Assessment, lambda a: _claimable(a, now))
        due.sort(key=lambda a: a.next_attempt_at)
        for assessment in due[:limit]:
            assessment.lease_owner, assessment.lease_expires_at = owner, lease_until
        return [a.id for a in due[:limit]]

    async def renew_leases(self, owner: str, ids: Sequence[UUID], until: datetime) -> None:
        wanted = set(ids)
        mine = self.session.select(
            Assessment, lambda a: a["id"] in wanted and a["lease_owner"] == owner
        )
        for assessment in mine:
            assessment.lease_expires_at = until

    async def count_by_state(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for assessment in self.session.select(Assessment, lambda a: True):
            counts[assessment.state] = counts.get(assessment.state, 0) + 1
        return counts

    async def stalled(self, progress_before: datetime, limit: int) -> list[UUID]:
        found = self.session.select(
            Assessment,
            lambda a: a["state"] not in TERMINAL and a["progress_at"] < progress_before,
        )
        return [a.id for a in sorted(found, key=lambda a: a.progress_at)][:limit]


def _claimable(assessment: Values, now: datetime) -> bool:
    unsettled = (
        assessment["authorization_id"] is not None and assessment["credits_settled_at"] is None
    )
    wanted = assessment["state"] not in TERMINAL or unsettled
    lease = assessment["lease_expires_at"]
    return wanted and (lease is None or lease < now) and assessment["next_attempt_at"] <= now


class MemoryComparisons:
    def __init__(self, session: MemorySession) -> None:
        self.session = session

    async def add_round(self, round_: ComparisonRound, comparisons: Sequence[Comparison]) -> None:
        self.session.add(round_)
        for comparison in comparisons:
            self.session.add(comparison)

    async def rounds(self, assessment_id: UUID) -> list[ComparisonRound]:
        found = self.session.select(ComparisonRound, lambda r: r["assessment_id"] == assessment_id)
        return sorted(found, key=lambda r: r.round_no)

    async def all(self, assessment_id: UUID) -> list[Comparison]:
        found = self.session.select(Comparison, lambda c: c["assessment_id"] == assessment_id)
        return sorted(found, key=lambda c: (c.round_no, c.requested_at, c.id))

    async def get(self, comparison_id: UUID, *, lock: bool = False) -> Comparison | None:
        return self.session.get(Comparison, comparison_id)


class MemoryResults:
    def __init__(self, session: MemorySession) -> None:
        self.session = session

    async def add(
        self, scores: Sequence[EssayScore], projections: Sequence[GradeProjectionRow]
    ) -> None:
        for row in [*scores, *projections]:
            self.session.add(row)

    async def for_assessment(
        self, assessment_id: UUID
    ) -> list[tuple[EssayScore, GradeProjectionRow | None]]:
        mine: Callable[[Values], bool] = lambda row: row["assessment_id"] == assessment_id  # noqa: E731
        projections = {p.position: p for p in self.session.select(GradeProjectionRow, mine)}
        scores = sorted(self.session.select(EssayScore, mine), key=lambda s: s.rank)
        return [(s, projections.get(s.position)) for s in scores]

    async def add_judges(self, rows: Sequence[JudgeStatisticsRow]) -> None:
        for row in rows:
            self.session.add(row)

    async def judges(self, assessment_id: UUID) -> list[JudgeStatisticsRow]:
        mine: Callable[[Values], bool] = lambda row: row["assessment_id"] == assessment_id  # noqa: E731
        rows = self.session.select(JudgeStatisticsRow, mine)
        return sorted(rows, key=lambda r: (-r.judgements, r.judge))
