"""In-memory stand-ins for the storage port and the notifier: the library's in-memory unit of
work (rollback, unique keys, the outbox and the inbox as PostgreSQL has them) with this
service's fake repositories bound to each transaction's tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from uuid import UUID, uuid4

from common_core.events.base import EventPayload
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.redis import Notification
from huleedu_service_libs.unit_of_work import InMemoryState, InMemoryUnitOfWork
from services.class_management_service.domain.model import (
    Course,
    EssayAssociation,
    SchoolClass,
    Student,
)
from services.class_management_service.tests.fake_repositories import (
    FakeAssociationRepository,
    FakeClassRepository,
    FakeCourseRepository,
    FakeMembershipRepository,
    FakeStudentRepository,
    Tables,
    new_tables,
)


class ManualClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class InMemoryDatabase(InMemoryState):
    """The committed state; its table properties are the committed rows by primary key."""

    tables: dict[str, Any] = field(default_factory=new_tables)
    locks_held_elsewhere: set[UUID] = field(default_factory=set)

    @property
    def courses(self) -> dict[str, Course]:
        return Tables(self.tables).courses.rows

    @property
    def classes(self) -> dict[UUID, SchoolClass]:
        return Tables(self.tables).classes.rows

    @property
    def students(self) -> dict[UUID, Student]:
        return Tables(self.tables).students.rows

    @property
    def memberships(self) -> dict[tuple[UUID, UUID], datetime]:
        return Tables(self.tables).memberships.rows

    @property
    def associations(self) -> dict[UUID, EssayAssociation]:
        return Tables(self.tables).associations.rows

    def payloads(self, kind: type[EventPayload] | None = None) -> list[Any]:
        found = super().payloads()
        return [payload for payload in found if kind is None or isinstance(payload, kind)]


class FakeNotifier:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    async def send(self, notification: Notification) -> None:
        self.sent.append(notification)

    def kinds(self) -> list[str]:
        return [notification.kind for notification in self.sent]


class FakeUnitOfWork(InMemoryUnitOfWork):
    def __init__(self, db: InMemoryDatabase, envelopes: EnvelopeFactory) -> None:
        super().__init__(db, envelopes)
        self.db = db

    def attach(self, tables: dict[str, Any]) -> None:
        view = Tables(tables)
        self.courses = FakeCourseRepository(view)
        self.classes = FakeClassRepository(view)
        self.students = FakeStudentRepository(view)
        self.memberships = FakeMembershipRepository(view)
        self.associations = FakeAssociationRepository(view, self.db.locks_held_elsewhere)

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[Self]:
        async with self:
            yield self


def pending_association(
    batch_id: UUID,
    class_id: UUID,
    essay_id: UUID,
    created_at: datetime,
    suggested: UUID | None = None,
    confidence: float | None = None,
) -> EssayAssociation:
    return EssayAssociation(
        id=uuid4(),
        batch_id=batch_id,
        class_id=class_id,
        essay_id=essay_id,
        suggested_student_id=suggested,
        confidence_score=confidence,
        source_event_id=uuid4(),
        created_at=created_at,
        updated_at=created_at,
    )
