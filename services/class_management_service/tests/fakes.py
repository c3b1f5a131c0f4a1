"""In-memory stand-ins for the storage port and the notifier, with the PostgreSQL adapter's
semantics (the repository contract tests run the same assertions against both)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID, uuid4

from common_core.courses import CourseCode
from common_core.events.base import EventPayload
from services.class_management_service.domain.errors import DuplicateStudentError
from services.class_management_service.domain.model import (
    ClassDetails,
    Course,
    EssayAssociation,
    Page,
    SchoolClass,
    Student,
)
from services.class_management_service.implementations.event_collector import (
    EventCollector,
    PendingEvent,
)
from services.class_management_service.protocols import Notification


class ForeignKeyViolation(Exception):
    """What PostgreSQL's RESTRICT keys would refuse."""


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
    outbox: list[PendingEvent] = field(default_factory=list)
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


class FakeCourseRepository:
    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db

    async def get(self, code: str) -> Course | None:
        return self.db.courses.get(code)


class FakeClassRepository:
    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db

    async def add(self, school_class: SchoolClass) -> None:
        self.db.classes[school_class.id] = school_class

    async def update(self, school_class: SchoolClass) -> None:
        self.db.classes[school_class.id] = school_class

    async def delete(self, class_id: UUID) -> None:
        if any(item.class_id == class_id for item in self.db.associations.values()):
            raise ForeignKeyViolation("essay_student_associations.class_id")
        self.db.classes.pop(class_id, None)
        for key in [key for key in self.db.memberships if key[0] == class_id]:
            del self.db.memberships[key]

    async def get(self, class_id: UUID) -> SchoolClass | None:
        return self.db.classes.get(class_id)

    async def get_owned(self, owner_user_id: str, class_id: UUID) -> SchoolClass | None:
        found = self.db.classes.get(class_id)
        return found if found is not None and found.owner_user_id == owner_user_id else None

    async def details(self, owner_user_id: str, class_id: UUID) -> ClassDetails | None:
        found = await self.get_owned(owner_user_id, class_id)
        return None if found is None else self._details(found)

    async def list_owned(
        self, owner_user_id: str, course_code: str | None, limit: int, offset: int
    ) -> Page[ClassDetails]:
        owned = [
            item
            for item in self.db.classes.values()
            if item.owner_user_id == owner_user_id
            and (course_code is None or item.course_code == course_code)
        ]
        owned.sort(key=lambda item: (-item.created_at.timestamp(), item.id))
        page = [self._details(item) for item in owned[offset : offset + limit]]
        return Page(page, len(owned), limit, offset)

    async def owned_ids(self, owner_user_id: str, class_ids: Sequence[UUID]) -> set[UUID]:
        return {
            class_id
            for class_id in class_ids
            if await self.get_owned(owner_user_id, class_id) is not None
        }

    def _details(self, school_class: SchoolClass) -> ClassDetails:
        count = sum(1 for key in self.db.memberships if key[0] == school_class.id)
        return ClassDetails(school_class, self.db.courses[school_class.course_code], count)


class FakeStudentRepository:
    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db

    async def add_if_absent(self, student: Student) -> Student:
        return (await self.add_many_if_absent([student]))[0]

    async def add_many_if_absent(self, students: Sequence[Student]) -> list[Student]:
        stored = []
        for student in students:
            existing = await self.find_by_email(student.owner_user_id, student.email)
            if existing is None:
                self.db.students[student.id] = student
            stored.append(existing or student)
        return stored

    async def update(self, student: Student) -> None:
        existing = await self.find_by_email(student.owner_user_id, student.email)
        if existing is not None and existing.id != student.id:
            raise DuplicateStudentError(student.email, existing.id)
        self.db.students[student.id] = student

    async def delete(self, student_id: UUID) -> None:
        if self.db.referenced(student_id):
            raise ForeignKeyViolation("essay_student_associations.student_id")
        self.db.students.pop(student_id, None)
        for key in [key for key in self.db.memberships if key[1] == student_id]:
            del self.db.memberships[key]

    async def get_owned(self, owner_user_id: str, student_id: UUID) -> Student | None:
        found = self.db.students.get(student_id)
        return found if found is not None and found.owner_user_id == owner_user_id else None

    async def get_many(self, student_ids: Sequence[UUID]) -> list[Student]:
        return [self.db.students[sid] for sid in student_ids if sid in self.db.students]

    async def find_by_email(self, owner_user_id: str, email: str) -> Student | None:
        return (await self.find_by_emails(owner_user_id, [email])).get(email)

    async def find_by_emails(self, owner_user_id: str, emails: Sequence[str]) -> dict[str, Student]:
        wanted = set(emails)
        return {
            student.email: student
            for student in self.db.students.values()
            if student.owner_user_id == owner_user_id and student.email in wanted
        }


class FakeMembershipRepository:
    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db

    async def add_many(
        self, class_id: UUID, student_ids: Sequence[UUID], at: datetime
    ) -> set[UUID]:
        added = set()
        for student_id in student_ids:
            if (class_id, student_id) not in self.db.memberships:
                self.db.memberships[(class_id, student_id)] = at
                added.add(student_id)
        return added

    async def remove(self, class_id: UUID, student_id: UUID) -> bool:
        return self.db.memberships.pop((class_id, student_id), None) is not None

    async def remove_class(self, class_id: UUID) -> list[UUID]:
        keys = [key for key in self.db.memberships if key[0] == class_id]
        for key in keys:
            del self.db.memberships[key]
        return [student_id for _, student_id in keys]

    async def remove_student(self, student_id: UUID) -> list[UUID]:
        keys = [key for key in self.db.memberships if key[1] == student_id]
        for key in keys:
            del self.db.memberships[key]
        return [class_id for class_id, _ in keys]

    async def class_ids_of(self, student_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        ordered = sorted(self.db.memberships.items(), key=lambda item: (item[1], item[0][0]))
        return {
            student_id: [key[0] for key, _ in ordered if key[1] == student_id]
            for student_id in student_ids
        }

    async def roster(self, class_id: UUID, limit: int, offset: int) -> Page[Student]:
        members = [self.db.students[sid] for sid in await self.member_ids(class_id)]
        members.sort(key=lambda item: (item.last_name, item.first_name, item.id))
        return Page(members[offset : offset + limit], len(members), limit, offset)

    async def member_ids(self, class_id: UUID) -> set[UUID]:
        return {student_id for cid, student_id in self.db.memberships if cid == class_id}


class FakeAssociationRepository:
    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db

    async def lock_batch(self, batch_id: UUID, *, wait: bool) -> bool:
        # A single-threaded fake never waits; tests mark batches held by "another replica".
        return wait or batch_id not in self.db.locks_held_elsewhere

    async def add_if_absent(self, association: EssayAssociation) -> bool:
        key = (association.batch_id, association.essay_id)
        if any((item.batch_id, item.essay_id) == key for item in self.db.associations.values()):
            return False
        self.db.associations[association.id] = association
        return True

    async def update_many(self, associations: Sequence[EssayAssociation]) -> None:
        for association in associations:
            self.db.associations[association.id] = association

    async def for_batch(self, batch_id: UUID) -> list[EssayAssociation]:
        found = [item for item in self.db.associations.values() if item.batch_id == batch_id]
        return sorted(found, key=lambda item: (item.created_at, item.essay_id))

    async def batches_due(self, cutoff: datetime, limit: int) -> list[UUID]:
        oldest: dict[UUID, datetime] = {}
        for item in self.db.associations.values():
            if item.is_pending and item.created_at <= cutoff:
                oldest[item.batch_id] = min(item.created_at, oldest.get(item.batch_id, cutoff))
        return sorted(oldest, key=lambda batch_id: oldest[batch_id])[:limit]

    async def count_for_class(self, class_id: UUID) -> int:
        return sum(1 for item in self.db.associations.values() if item.class_id == class_id)

    async def count_for_student(self, student_id: UUID) -> int:
        return sum(
            1
            for item in self.db.associations.values()
            if student_id in (item.student_id, item.suggested_student_id)
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
