"""The PostgreSQL unit of work: the library's SqlUnitOfWork with the service's repositories; the
states assessments entered are counted once their commit succeeds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, UOWTransaction

from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox.writer import OutboxManager
from huleedu_service_libs.unit_of_work import SqlUnitOfWork
from services.cj_assessment_service.implementations.repositories import (
    SqlAnchorRepository,
    SqlAssessmentRepository,
    SqlComparisonRepository,
    SqlEssayRepository,
    SqlResultRepository,
)
from services.cj_assessment_service.metrics import CJMetrics
from services.cj_assessment_service.models_db import Assessment


class AssessmentUnitOfWork(SqlUnitOfWork):
    essays: SqlEssayRepository
    anchors: SqlAnchorRepository
    assessments: SqlAssessmentRepository
    comparisons: SqlComparisonRepository
    results: SqlResultRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: OutboxManager,
        envelopes: EnvelopeFactory,
        metrics: CJMetrics | None = None,
    ) -> None:
        super().__init__(sessions, outbox, envelopes)
        self._metrics = metrics
        self._entered: list[str] = []

    def attach(self, session: AsyncSession) -> None:
        self.essays = SqlEssayRepository(session)
        self.anchors = SqlAnchorRepository(session)
        self.assessments = SqlAssessmentRepository(session)
        self.comparisons = SqlComparisonRepository(session)
        self.results = SqlResultRepository(session)
        self._entered = []
        if self._metrics is not None:
            event.listen(session.sync_session, "after_flush", self._note_transitions)

    async def commit(self) -> None:
        await super().commit()
        entered, self._entered = self._entered, []
        if self._metrics is not None:
            self._metrics.entered(entered)

    async def rollback(self) -> None:
        self._entered = []
        await super().rollback()

    def _note_transitions(self, session: Session, _flush: UOWTransaction, *_: Any) -> None:
        # After a flush the attribute history still holds what this flush wrote.
        for instance in (*session.new, *session.dirty):
            if isinstance(instance, Assessment):
                written = inspect(instance).attrs.state.history.added
                if written:
                    self._entered.append(str(written[-1]))
