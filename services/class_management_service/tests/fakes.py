"""In-memory stand-ins for the storage port and the notifier, with the PostgreSQL adapter's
semantics (the repository contract tests run the same assertions against both)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID, uuid4

from common_core.courses import CourseCode
from common_core.events.base import EventPayload
from huleedu_service_libs.outbox import OutboxEvent
from services.class_management_service.domain.model import (
    Course,
    EssayAssociation,
    SchoolClass,
    Student,
)
from services.class_management_service.implementations.event_collector import EventCollector
from services.class_management_service.protocols import Notification
from services.class_management_service.tests.fake_repositories import (
    FakeAssociationRepository,
    FakeClassRepository,
    FakeCourseRepository,
    FakeMembershipRepository,
    FakeStudentRepository,
)


class ManualClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def seeded_courses() -> dict[str, Course]:
    return {
        code.value: Course(code.value, code.display_name, code.language.value, code.level)
        for code in CourseCode
    }


@dataclass
class InMemoryDatabase:
    courses: dict[str, Course] = field(default_factory=seeded_courses)
    classes: dict[UUID, SchoolClass] = field(default_factory=dict)
    students: dict[UUID, Student] = field(default_factory=dict)
    memberships: dict[tuple[UUID, UUID], datetime] = field(default_factory=dict)
    associations: dict[UUID, EssayAssociation] = field(default_factory=dict)
    processed: set[tuple[str, UUID]] = field(default_factory=set)
    outbox: list[OutboxEvent] = field(default_factory=list)
    locks_held_elsewhere: set[UUID] = field(default_factory=set)

    def snapshot(self) -> dict[str, Any]:
        return {name: copy.copy(getattr(self, name)) for name in self.__dataclass_fields__}

    def restore(self, snapshot: dict[str, Any]) -> None:
        for name, value in snapshot.items():
            setattr(self, name, value)

    def payloads(self, kind: type[EventPayload] | None = None) -> list[Any]:
        found = [pending.envelope.data for pending in self.outbox]
        return [payload for payload in found if kind is None or isinstance(payload, kind)]

    def referenced(self, student_id: UUID) -> bool:
        return any(
            student_id in (item.student_id, item.suggested_student_id)
            for item in self.associations.values()
        )


class FakeNotifier:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    async def send(self, notifications: Sequence[Notification]) -> None:
        self.sent.extend(notifications)

    def kinds(self) -> list[str]:
        return [notification.kind for notification in self.sent]


class FakeUnitOfWork:
    """Rows and events become durable together on commit; whatever was done after the last
    commit (or without one) is rolled back when the `async with` block ends."""

    def __init__(self, db: InMemoryDatabase | None = None, notifier: FakeNotifier | None = None):
        self.db = db or InMemoryDatabase()
        self.notifier = notifier or FakeNotifier()
        self.courses = FakeCourseRepository(self.db)
        self.classes = FakeClassRepository(self.db)
        self.students = FakeStudentRepository(self.db)
        self.memberships = FakeMembershipRepository(self.db)
        self.associations = FakeAssociationRepository(self.db)
        self.commits = 0

    async def __aenter__(self) -> Self:
        self._snapshot = self.db.snapshot()
        self._events = EventCollector()
        self._notifications: list[Notification] = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.db.restore(self._snapshot)

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[Self]:
        async with self:
            yield self

    async def claim_event(self, handler: str, event_id: UUID) -> bool:
        if (handler, event_id) in self.db.processed:
            return False
        self.db.processed.add((handler, event_id))
        return True

    def emit(
        self, payload: EventPayload, *, aggregate_id: UUID, event_id: UUID | None = None
    ) -> None:
        self._events.add(payload, aggregate_id, event_id)

    def notify(self, notification: Notification) -> None:
        self._notifications.append(notification)

    async def commit(self) -> None:
        self.db.outbox.extend(self._events.drain())
        self._snapshot = self.db.snapshot()
        self.commits += 1
        notifications, self._notifications = self._notifications, []
        await self.notifier.send(notifications)


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
