"""The in-memory unit of work and its tables, for unit tests of the use cases.

The library's InMemoryUnitOfWork gives each transaction its copy of the tables and publishes it,
with the emitted events, on commit. Here a table keeps each row's column values by primary key;
the repositories hand out the service's ORM objects, remembered per transaction as a session's
identity map remembers them, and write their changes back before every read and at commit (as a
session flushes). So unique keys are checked as PostgreSQL checks them, and a change that is not
committed is gone with its transaction.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar
from uuid import UUID

from common_core.events.base import EventPayload
from huleedu_service_libs.unit_of_work import InMemoryState, InMemoryUnitOfWork
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
    JudgeStatisticsRow,
)
from services.cj_assessment_service.tests.support.memory_repositories import (
    MemoryAnchors,
    MemoryAssessments,
    MemoryComparisons,
    MemoryEssays,
    MemoryResults,
)
from services.cj_assessment_service.tests.support.memory_rows import (
    TERMINAL,
    Key,
    MemorySession,
    RowT,
    RowTable,
    Values,
    row_of,
)

PayloadT = TypeVar("PayloadT", bound=EventPayload)


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
        "judge_statistics": RowTable(JudgeStatisticsRow),
    }


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
        return [row_of(model, values) for values in table.rows.values()]

    def events(self, payload_type: type[PayloadT]) -> list[PayloadT]:
        return [p for p in self.payloads() if isinstance(p, payload_type)]
