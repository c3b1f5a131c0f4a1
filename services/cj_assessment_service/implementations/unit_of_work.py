"""The PostgreSQL unit of work: the library's SqlUnitOfWork with the service's repositories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from huleedu_service_libs.unit_of_work import SqlUnitOfWork
from services.cj_assessment_service.implementations.repositories import (
    SqlAnchorRepository,
    SqlAssessmentRepository,
    SqlComparisonRepository,
    SqlEssayRepository,
    SqlResultRepository,
)


class AssessmentUnitOfWork(SqlUnitOfWork):
    essays: SqlEssayRepository
    anchors: SqlAnchorRepository
    assessments: SqlAssessmentRepository
    comparisons: SqlComparisonRepository
    results: SqlResultRepository

    def attach(self, session: AsyncSession) -> None:
        self.essays = SqlEssayRepository(session)
        self.anchors = SqlAnchorRepository(session)
        self.assessments = SqlAssessmentRepository(session)
        self.comparisons = SqlComparisonRepository(session)
        self.results = SqlResultRepository(session)
