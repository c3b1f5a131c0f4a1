"""The in-memory unit of work and repositories, for unit tests of the use cases.

The library's InMemoryUnitOfWork gives each transaction its copy of the tables and publishes it,
with the emitted events, on commit. Here a table keeps each row's column values by primary key;
the repositories hand out the service's ORM objects, remembered per transaction as a session's
identity map remembers them, and write their changes back before every read and at commit (as a
session flushes). So unique keys are checked as PostgreSQL checks them, and a change that is not
committed is gone with its transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self, TypeVar
from uuid import UUID

from sqlalchemy import inspect

from common_core.events.base import EventPayload
from huleedu_service_libs.unit_of_work import InMemoryState, InMemoryUnitOfWork, MemoryTable
from services.cj_assessment_service.models_db import (
    Anchor,
    Assessment,
    AssessmentEssay,
    Base,
    Comparison,
    ComparisonRound,
    Essay,
    EssayScore,
    GradeProjectionRow,
)

TERMINAL = ("completed", "failed", "cancelled")
Key = tuple[Any, ...]
Values = dict[str, Any]
RowT = TypeVar("RowT", bound=Base)
PayloadT = TypeVar("PayloadT", bound=EventPayload)


class RowTable(MemoryTable[Key, Values]):
    """Column values by primary key. The values are replaced, never changed in place, so a
    transaction's copy of the table shares them instead of copying every row."""

    def __init__(
        self, model: type[Base], unique: Mapping[str, Callable[[Values], Hashable]] | None = None
    ) -> None:
        super().__init__(unique)
        self.model = model

    def __deepcopy__(self, memo: dict[int, Any]) -> RowTable:
        table = RowTable(self.model, self.unique)
        table.rows = dict(self.rows)
        return table


def _active_batch(row: Values) -> Hashable:
    # The partial unique index: only assessments still running compete for their batch.
    if row["state"] in TERMINAL:
        return ("finished", row["id"])
    return (row["user_id"], row["batch_id"])


def _request_event(row: Values) -> Hashable:
    return row["request_event_id"] or ("no request event", row["id"])


def new_tables() -> dict[str, Any]:
    return {
        "essays": RowTable(Essay),
        "anchors": RowTable(Anchor),
        "assessments": RowTable(
            Assessment,
            unique={
                "uq_assessments_active_batch": _active_batch,
                "uq_assessments_request_event_id": _request_event,
            },
        ),
        "assessment_essays": RowTable(
            AssessmentEssay,
            unique={
                "uq_assessment_essays_assessment_id_essay_id": lambda row: (
                    row["assessment_id"],
                    row["essay_id"],
                )
            },
        ),
        "comparison_rounds": RowTable(ComparisonRound),
        "comparisons": RowTable(Comparison),
        "essay_scores": RowTable(EssayScore),
        "grade_projections": RowTable(GradeProjectionRow),
    }


def _columns(model: type[Base]) -> list[str]:
    return [column.key for column in inspect(model).column_attrs]


def _key_of(model: type[Base], values: Values) -> Key:
    return tuple(values[str(column.key)] for column in inspect(model).primary_key)


def _copied(value: Any) -> Any:
    # JSON columns hold the only mutable values: copied, so no object shares them with a table.
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


def _values_of(row: Base) -> Values:
    return {name: _copied(getattr(row, name)) for name in _columns(type(row))}


def _row_of(model: type[RowT], values: Values) -> RowT:
    return model(**{name: _copied(value) for name, value in values.items()})


class MemorySession:
    """One transaction's view of the tables and the rows it handed out (its identity map)."""

    def __init__(self, tables: dict[str, Any], loaded: dict[tuple[str, Key], Base]) -> None:
        self.tables = tables
        self.loaded = loaded

    def add(self, row: Base) -> None:
        table = self._table(type(row))
        values = _values_of(row)
        key = _key_of(type(row), values)
        table.insert(key, values)
        self.loaded[(table.model.__tablename__, key)] = row

    def insert_or_ignore(self, row: Base) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING: the row's values, not the object, are stored."""
        self.flush()
        table, values = self._table(type(row)), _values_of(row)
        key = _key_of(type(row), values)
        if table.get(key) is not None:
            return False
        table.insert(key, values)
        return True

    def get(self, model: type[RowT], *key: Any) -> RowT | None:
        self.flush()
        values = self._table(model).get(key)
        return None if values is None else self._load(model, key, values)

    def select(self, model: type[RowT], where: Callable[[Values], bool]) -> list[RowT]:
        self.flush()
        rows = self._table(model).rows.items()
        return [self._load(model, key, values) for key, values in rows if where(values)]

    def flush(self) -> None:
        for (name, key), row in self.loaded.items():
            values = _values_of(row)
            table: RowTable = self.tables[name]
            if table.get(key) != values:
                table.put(key, values)

    def _load(self, model: type[RowT], key: Key, values: Values) -> RowT:
        known = self.loaded.get((model.__tablename__, key))
        if isinstance(known, model):
            return known
        row = _row_of(model, values)
        self.loaded[(model.__tablename__, key)] = row
        return row

    def _table(self, model: type[Base]) -> RowTable:
        table: RowTable = self.tables[model.__tablename__]
        return table


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


class MemoryUnitOfWork(InMemoryUnitOfWork):
    session: MemorySession
    _loaded: dict[tuple[str, Key], Base]
    essays: MemoryEssays
    anchors: MemoryAnchors
    assessments: MemoryAssessments
    comparisons: MemoryComparisons
    results: MemoryResults

    def attach(self, tables: dict[str, Any]) -> None:
        self.session = MemorySession(tables, self._loaded)
        self.essays = MemoryEssays(self.session)
        self.anchors = MemoryAnchors(self.session)
        self.assessments = MemoryAssessments(self.session)
        self.comparisons = MemoryComparisons(self.session)
        self.results = MemoryResults(self.session)

    async def __aenter__(self) -> Self:
        self._loaded = {}
        return await super().__aenter__()

    async def commit(self) -> None:
        # As a session with expire_on_commit off: the rows handed out stay known to this unit of
        # work, and what changes in them later goes out with the next commit.
        self.session.flush()
        await super().commit()

    async def rollback(self) -> None:
        self._loaded = {}
        await super().rollback()


@dataclass
class MemoryState(InMemoryState):
    """The committed tables, read by the tests as the service's rows."""

    tables: dict[str, Any] = field(default_factory=new_tables)

    @property
    def essays(self) -> dict[UUID, Essay]:
        return {e.essay_id: e for e in self.rows(Essay)}

    @property
    def anchors(self) -> dict[UUID, Anchor]:
        return {a.id: a for a in self.rows(Anchor)}

    @property
    def assessments(self) -> dict[UUID, Assessment]:
        return {a.id: a for a in self.rows(Assessment)}

    @property
    def participants(self) -> dict[UUID, list[AssessmentEssay]]:
        grouped: dict[UUID, list[AssessmentEssay]] = {}
        for row in sorted(self.rows(AssessmentEssay), key=lambda p: p.position):
            grouped.setdefault(row.assessment_id, []).append(row)
        return grouped

    @property
    def comparisons(self) -> dict[UUID, Comparison]:
        return {c.id: c for c in self.rows(Comparison)}

    def rows(self, model: type[RowT]) -> list[RowT]:
        table: RowTable = self.tables[model.__tablename__]
        return [_row_of(model, values) for values in table.rows.values()]

    def events(self, payload_type: type[PayloadT]) -> list[PayloadT]:
        return [p for p in self.payloads() if isinstance(p, payload_type)]
