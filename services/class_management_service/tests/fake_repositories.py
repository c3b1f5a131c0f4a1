"""In-memory repositories over InMemoryDatabase, with the PostgreSQL adapters' semantics
(tests/integration/test_repository_contract.py runs the same assertions against both)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from services.class_management_service.domain.errors import DuplicateStudentError
from services.class_management_service.domain.model import (
    ClassDetails,
    Course,
    EssayAssociation,
    Page,
    SchoolClass,
    Student,
)

if TYPE_CHECKING:
    from services.class_management_service.tests.fakes import InMemoryDatabase


class ForeignKeyViolation(Exception):
    """What PostgreSQL's RESTRICT keys would refuse."""


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
