"""In-memory fakes of the unit of work and repositories, for unit tests of the use cases.

Rows are the same ORM classes the SQL repositories return. A unit of work stages its inserts and
remembers the column values of every row it handed out; without a commit it puts those values
back and drops the inserts, so an uncommitted unit of work leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self, TypeVar
from uuid import UUID

from common_core.events.base import EventPayload
from common_core.events.codec import new_envelope
from common_core.events.envelope import EventEnvelope
from services.cj_assessment_service.models_db import (
    Anchor,
    Assessment,
    AssessmentEssay,
    Comparison,
    ComparisonRound,
    Essay,
    EssayScore,
    GradeProjectionRow,
)

TERMINAL = ("completed", "failed", "cancelled")
RowT = TypeVar("RowT")


@dataclass
class MemoryState:
    essays: dict[UUID, Essay] = field(default_factory=dict)
    anchors: dict[UUID, Anchor] = field(default_factory=dict)
    assessments: dict[UUID, Assessment] = field(default_factory=dict)
    participants: dict[UUID, list[AssessmentEssay]] = field(default_factory=dict)
    rounds: dict[UUID, list[ComparisonRound]] = field(default_factory=dict)
    comparisons: dict[UUID, Comparison] = field(default_factory=dict)
    scores: dict[UUID, list[EssayScore]] = field(default_factory=dict)
    projections: dict[UUID, list[GradeProjectionRow]] = field(default_factory=dict)
    inbox: set[tuple[str, UUID]] = field(default_factory=set)
    outbox: list[EventEnvelope[Any]] = field(default_factory=list)
    commits: int = 0

    def events(self, payload_type: type[EventPayload]) -> list[Any]:
        return [e.data for e in self.outbox if isinstance(e.data, payload_type)]


class _Repository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self.uow = uow
        self.state = uow.shared

    def seen(self, rows: list[RowT]) -> list[RowT]:
        for row in rows:
            self.uow.remember(row)
        return rows

    def one(self, row: RowT | None) -> RowT | None:
        if row is not None:
            self.uow.remember(row)
        return row


class MemoryEssays(_Repository):
    async def add_if_new(self, essay: Essay) -> bool:
        if essay.essay_id in self.state.essays:
            return False
        self.uow.stage(lambda: self.state.essays.setdefault(essay.essay_id, essay))
        return True

    async def mark_removed(self, essay_id: UUID, at: datetime) -> None:
        essay = self.one(self.state.essays.get(essay_id))
        if essay is not None and essay.removed_at is None:
            essay.removed_at = at

    async def live_in_batch(self, batch_id: UUID, owner_user_id: str) -> list[Essay]:
        found = [
            e
            for e in self.state.essays.values()
            if e.batch_id == batch_id and e.owner_user_id == owner_user_id and e.removed_at is None
        ]
        return self.seen(sorted(found, key=lambda e: (e.provisioned_at, e.essay_id)))

    async def any_in_batch(self, batch_id: UUID, owner_user_id: str) -> bool:
        return any(
            e.batch_id == batch_id and e.owner_user_id == owner_user_id
            for e in self.state.essays.values()
        )


class MemoryAnchors(_Repository):
    async def add(self, anchor: Anchor) -> None:
        self.uow.stage(lambda: self.state.anchors.setdefault(anchor.id, anchor))

    async def for_course(
        self, owner_user_id: str, course_code: str, assignment_id: str | None
    ) -> list[Anchor]:
        found = [
            a
            for a in self.state.anchors.values()
            if a.owner_user_id == owner_user_id
            and a.course_code == course_code
            and a.assignment_id in (None, assignment_id)
        ]
        return self.seen(sorted(found, key=lambda a: a.created_at, reverse=True))

    async def by_ids(self, anchor_ids: Sequence[UUID]) -> list[Anchor]:
        return self.seen([self.state.anchors[i] for i in anchor_ids if i in self.state.anchors])

    async def list_for_owner(
        self, owner_user_id: str, course_code: str | None, assignment_id: str | None
    ) -> list[Anchor]:
        return self.seen(
            [
                a
                for a in self.state.anchors.values()
                if a.owner_user_id == owner_user_id
                and course_code in (None, a.course_code)
                and assignment_id in (None, a.assignment_id)
            ]
        )


class MemoryAssessments(_Repository):
    async def add(self, assessment: Assessment, participants: Sequence[AssessmentEssay]) -> None:
        if await self.active_for_batch(assessment.user_id, assessment.batch_id) is not None:
            raise RuntimeError("unique index: one active assessment per batch")

        def insert() -> None:
            self.state.assessments[assessment.id] = assessment
            self.state.participants[assessment.id] = list(participants)

        self.uow.stage(insert)

    async def get(self, assessment_id: UUID, *, lock: bool = False) -> Assessment | None:
        return self.one(self.state.assessments.get(assessment_id))

    async def active_for_batch(self, user_id: str, batch_id: UUID) -> Assessment | None:
        return self.one(
            next(
                (
                    a
                    for a in self.state.assessments.values()
                    if a.user_id == user_id and a.batch_id == batch_id and a.state not in TERMINAL
                ),
                None,
            )
        )

    async def participants(self, assessment_id: UUID) -> list[AssessmentEssay]:
        rows = self.state.participants.get(assessment_id, [])
        return self.seen(sorted(rows, key=lambda p: p.position))

    async def claim_due(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[UUID]:
        due = self.seen([a for a in self.state.assessments.values() if _claimable(a, now)])
        due.sort(key=lambda a: a.next_attempt_at)
        for assessment in due[:limit]:
            assessment.lease_owner, assessment.lease_expires_at = owner, lease_until
        return [a.id for a in due[:limit]]

    async def renew_leases(self, owner: str, ids: Sequence[UUID], until: datetime) -> None:
        for assessment_id in ids:
            assessment = self.one(self.state.assessments.get(assessment_id))
            if assessment is not None and assessment.lease_owner == owner:
                assessment.lease_expires_at = until

    async def stalled(self, progress_before: datetime, limit: int) -> list[UUID]:
        return [
            a.id
            for a in self.state.assessments.values()
            if a.state not in TERMINAL and a.progress_at < progress_before
        ][:limit]


def _claimable(assessment: Assessment, now: datetime) -> bool:
    unsettled = assessment.authorization_id is not None and assessment.credits_settled_at is None
    wanted = assessment.state not in TERMINAL or unsettled
    free = assessment.lease_expires_at is None or assessment.lease_expires_at < now
    return wanted and free and assessment.next_attempt_at <= now


class MemoryComparisons(_Repository):
    async def add_round(self, round_: ComparisonRound, comparisons: Sequence[Comparison]) -> None:
        def insert() -> None:
            self.state.rounds.setdefault(round_.assessment_id, []).append(round_)
            for comparison in comparisons:
                self.state.comparisons[comparison.id] = comparison

        self.uow.stage(insert)

    async def rounds(self, assessment_id: UUID) -> list[ComparisonRound]:
        return self.seen(sorted(self.state.rounds.get(assessment_id, []), key=lambda r: r.round_no))

    async def all(self, assessment_id: UUID) -> list[Comparison]:
        found = [c for c in self.state.comparisons.values() if c.assessment_id == assessment_id]
        return self.seen(sorted(found, key=lambda c: (c.round_no, c.requested_at, c.id)))

    async def get(self, comparison_id: UUID, *, lock: bool = False) -> Comparison | None:
        return self.one(self.state.comparisons.get(comparison_id))


class MemoryResults(_Repository):
    async def add(
        self, scores: Sequence[EssayScore], projections: Sequence[GradeProjectionRow]
    ) -> None:
        def insert() -> None:
            for score in scores:
                self.state.scores.setdefault(score.assessment_id, []).append(score)
            for projection in projections:
                self.state.projections.setdefault(projection.assessment_id, []).append(projection)

        self.uow.stage(insert)

    async def for_assessment(
        self, assessment_id: UUID
    ) -> list[tuple[EssayScore, GradeProjectionRow | None]]:
        projections = {p.position: p for p in self.state.projections.get(assessment_id, [])}
        scores = sorted(self.state.scores.get(assessment_id, []), key=lambda s: s.rank)
        return [(s, projections.get(s.position)) for s in scores]


class MemoryUnitOfWork:
    def __init__(self, shared: MemoryState, source_service: str = "cj_assessment_service") -> None:
        self.shared = shared
        self.source_service = source_service

    async def __aenter__(self) -> Self:
        self._remembered: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._staged: list[Callable[[], object]] = []
        self._events: list[EventEnvelope[Any]] = []
        self._claims: set[tuple[str, UUID]] = set()
        self.essays = MemoryEssays(self)
        self.anchors = MemoryAnchors(self)
        self.assessments = MemoryAssessments(self)
        self.comparisons = MemoryComparisons(self)
        self.results = MemoryResults(self)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for row, values in self._remembered.values():  # rollback: put the old values back
            for key, value in values.items():
                setattr(row, key, value)
        self._remembered.clear()

    def remember(self, row: Any) -> None:
        if id(row) not in self._remembered:
            values = {c.key: getattr(row, c.key) for c in row.__table__.columns}
            self._remembered[id(row)] = (row, values)

    def stage(self, insert: Callable[[], object]) -> None:
        self._staged.append(insert)

    async def claim_event(self, handler: str, event_id: UUID) -> bool:
        key = (handler, event_id)
        if key in self.shared.inbox or key in self._claims:
            return False
        self._claims.add(key)
        return True

    def emit(
        self, payload: EventPayload, *, aggregate_id: UUID, event_id: UUID, correlation_id: UUID
    ) -> None:
        self._events.append(
            new_envelope(
                payload,
                source_service=self.source_service,
                correlation_id=correlation_id,
                event_id=event_id,
            )
        )

    async def commit(self) -> None:
        for insert in self._staged:
            insert()
        self.shared.inbox |= self._claims
        self.shared.outbox.extend(self._events)
        self.shared.commits += 1
        self._staged, self._events, self._claims = [], [], set()
        self._remembered.clear()


class MemoryUnitOfWorkFactory:
    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state or MemoryState()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.state)
