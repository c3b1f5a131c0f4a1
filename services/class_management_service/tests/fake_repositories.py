"""In-memory repositories over the tables of one in-memory transaction, with the PostgreSQL
adapters' semantics (tests/integration/test_repository_contract.py runs the same assertions
against both). The tables' unique indexes are the database's constraints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from common_core.courses import CourseCode
from huleedu_service_libs.unit_of_work import MemoryTable
from services.class_management_service.domain.errors import DuplicateStudentError
from services.class_management_service.domain.model import (
    ClassDetails,
    Course,
    EssayAssociation,
    Page,
    SchoolClass,
    Student,
)

Membership = tuple[UUID, UUID]  # (class id, student id) -> when the student joined


class ForeignKeyViolation(Exception):
    """What PostgreSQL's RESTRICT keys would refuse."""


def new_tables() -> dict[str, Any]:
    courses: MemoryTable[str, Course] = MemoryTable()
    for code in CourseCode:
        courses.insert(
            code.value, Course(code.value, code.display_name, code.language.value, code.level)
        )
    return {
        "courses": courses,
        "classes": MemoryTable[UUID, SchoolClass](),
        "students": MemoryTable[UUID, Student](
            {"students_owner_user_id_email_key": lambda s: (s.owner_user_id, s.email)}
        ),
        "memberships": MemoryTable[Membership, datetime](),
        "associations": MemoryTable[UUID, EssayAssociation](
            {"essay_student_associations_batch_id_essay_id_key": lambda a: (a.batch_id, a.essay_id)}
        ),
    }


class Tables:
    """The typed view of one transaction's tables."""

    def __init__(self, tables: dict[str, Any]) -> None:
        self.courses: MemoryTable[str, Course] = tables["courses"]
        self.classes: MemoryTable[UUID, SchoolClass] = tables["classes"]
        self.students: MemoryTable[UUID, Student] = tables["students"]
        self.memberships: MemoryTable[Membership, datetime] = tables["memberships"]
        self.associations: MemoryTable[UUID, EssayAssociation] = tables["associations"]

    def referenced(self, student_id: UUID) -> bool:
        return any(
            student_id in (item.student_id, item.suggested_student_id) for item in self.associations
        )


class FakeCourseRepository:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def get(self, code: str) -> Course | None:
        return self.tables.courses.get(code)


class FakeClassRepository:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def add(self, school_class: SchoolClass) -> None:
        self.tables.classes.insert(school_class.id, school_class)

    async def update(self, school_class: SchoolClass) -> None:
        self.tables.classes.put(school_class.id, school_class)

    async def delete(self, class_id: UUID) -> None:
        if any(item.class_id == class_id for item in self.tables.associations):
            raise ForeignKeyViolation("essay_student_associations.class_id")
        self.tables.classes.delete(class_id)
        for key in [key for key in self.tables.memberships.rows if key[0] == class_id]:
            self.tables.memberships.delete(key)

    async def get(self, class_id: UUID) -> SchoolClass | None:
        return self.tables.classes.get(class_id)

    async def get_owned(self, owner_user_id: str, class_id: UUID) -> SchoolClass | None:
        found = self.tables.classes.get(class_id)
        return found if found is not None and found.owner_user_id == owner_user_id else None

    async def details(self, owner_user_id: str, class_id: UUID) -> ClassDetails | None:
        found = await self.get_owned(owner_user_id, class_id)
        return None if found is None else self._details(found)

    async def list_owned(
        self, owner_user_id: str, course_code: str | None, limit: int, offset: int
    ) -> Page[ClassDetails]:
        owned = [
            item
            for item in self.tables.classes
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
        count = sum(1 for key in self.tables.memberships.rows if key[0] == school_class.id)
        course = self.tables.courses.rows[school_class.course_code]
        return ClassDetails(school_class, course, count)


class FakeStudentRepository:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def add_if_absent(self, student: Student) -> Student:
        return (await self.add_many_if_absent([student]))[0]

    async def add_many_if_absent(self, students: Sequence[Student]) -> list[Student]:
        stored = []
        for student in students:
            existing = await self.find_by_email(student.owner_user_id, student.email)
            if existing is None:
                self.tables.students.insert(student.id, student)
            stored.append(existing or student)
        return stored

    async def update(self, student: Student) -> None:
        existing = await self.find_by_email(student.owner_user_id, student.email)
        if existing is not None and existing.id != student.id:
            raise DuplicateStudentError(student.email, existing.id)
        self.tables.students.put(student.id, student)

    async def delete(self, student_id: UUID) -> None:
        if self.tables.referenced(student_id):
            raise ForeignKeyViolation("essay_student_associations.student_id")
        self.tables.students.delete(student_id)
        for key in [key for key in self.tables.memberships.rows if key[1] == student_id]:
            self.tables.memberships.delete(key)

    async def get_owned(self, owner_user_id: str, student_id: UUID) -> Student | None:
        found = self.tables.students.get(student_id)
        return found if found is not None and found.owner_user_id == owner_user_id else None

    async def get_many(self, student_ids: Sequence[UUID]) -> list[Student]:
        found = [self.tables.students.get(student_id) for student_id in student_ids]
        return [student for student in found if student is not None]

    async def find_by_email(self, owner_user_id: str, email: str) -> Student | None:
        return (await self.find_by_emails(owner_user_id, [email])).get(email)

    async def find_by_emails(self, owner_user_id: str, emails: Sequence[str]) -> dict[str, Student]:
        wanted = set(emails)
        return {
            student.email: student
            for student in self.tables.students
            if student.owner_user_id == owner_user_id and student.email in wanted
        }


class FakeMembershipRepository:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def add_many(
        self, class_id: UUID, student_ids: Sequence[UUID], at: datetime
    ) -> set[UUID]:
        added = set()
        for student_id in student_ids:
            if self.tables.memberships.get((class_id, student_id)) is None:
                self.tables.memberships.insert((class_id, student_id), at)
                added.add(student_id)
        return added

    async def remove(self, class_id: UUID, student_id: UUID) -> bool:
        return self.tables.memberships.delete((class_id, student_id)) is not None

    async def remove_class(self, class_id: UUID) -> list[UUID]:
        keys = [key for key in self.tables.memberships.rows if key[0] == class_id]
        for key in keys:
            self.tables.memberships.delete(key)
        return [student_id for _, student_id in keys]

    async def remove_student(self, student_id: UUID) -> list[UUID]:
        keys = [key for key in self.tables.memberships.rows if key[1] == student_id]
        for key in keys:
            self.tables.memberships.delete(key)
        return [class_id for class_id, _ in keys]

    async def class_ids_of(self, student_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        rows = self.tables.memberships.rows.items()
        ordered = sorted(rows, key=lambda item: (item[1], item[0][0]))
        return {
            student_id: [key[0] for key, _ in ordered if key[1] == student_id]
            for student_id in student_ids
        }

    async def roster(self, class_id: UUID, limit: int, offset: int) -> Page[Student]:
        students = self.tables.students.rows
        members = [students[sid] for sid in await self.member_ids(class_id)]
        members.sort(key=lambda item: (item.last_name, item.first_name, item.id))
        return Page(members[offset : offset + limit], len(members), limit, offset)

    async def member_ids(self, class_id: UUID) -> set[UUID]:
        return {student_id for cid, student_id in self.tables.memberships.rows if cid == class_id}


class FakeAssociationRepository:
    def __init__(self, tables: Tables, locks_held_elsewhere: set[UUID]) -> None:
        self.tables = tables
        self.locks_held_elsewhere = locks_held_elsewhere

    async def lock_batch(self, batch_id: UUID, *, wait: bool) -> bool:
        # A single-threaded fake never waits; tests mark batches held by "another replica".
        return wait or batch_id not in self.locks_held_elsewhere

    async def add_if_absent(self, association: EssayAssociation) -> bool:
        key = (association.batch_id, association.essay_id)
        if any((item.batch_id, item.essay_id) == key for item in self.tables.associations):
            return False
        self.tables.associations.insert(association.id, association)
        return True

    async def update_many(self, associations: Sequence[EssayAssociation]) -> None:
        for association in associations:
            self.tables.associations.put(association.id, association)

    async def for_batch(self, batch_id: UUID) -> list[EssayAssociation]:
        found = [item for item in self.tables.associations if item.batch_id == batch_id]
        return sorted(found, key=lambda item: (item.created_at, item.essay_id))

    async def batches_due(self, cutoff: datetime, limit: int) -> list[UUID]:
        oldest: dict[UUID, datetime] = {}
        for item in self.tables.associations:
            if item.is_pending and item.created_at <= cutoff:
                oldest[item.batch_id] = min(item.created_at, oldest.get(item.batch_id, cutoff))
        return sorted(oldest, key=lambda batch_id: oldest[batch_id])[:limit]

    async def count_for_class(self, class_id: UUID) -> int:
        return sum(1 for item in self.tables.associations if item.class_id == class_id)

    async def count_for_student(self, student_id: UUID) -> int:
        return sum(
            1
            for item in self.tables.associations
            if student_id in (item.student_id, item.suggested_student_id)
        )
