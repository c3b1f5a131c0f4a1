"""Use cases on a class roster: list it, add a student to it, remove one from it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from uuid import UUID

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.redis import Notification, Notifier
from services.class_management_service.domain.errors import (
    ClassNotFoundError,
    StudentNotFoundError,
)
from services.class_management_service.domain.model import Page, SchoolClass, Student
from services.class_management_service.handlers import events
from services.class_management_service.protocols import UnitOfWork


@dataclass
class RosterHandlers:
    uow: UnitOfWork
    clock: Clock
    notifier: Notifier

    async def roster(self, owner: str, class_id: UUID, limit: int, offset: int) -> Page[Student]:
        async with self.uow.read_only():
            await self._owned_class(owner, class_id)
            return await self.uow.memberships.roster(class_id, limit, offset)

    async def add(self, owner: str, class_id: UUID, student_id: UUID) -> bool:
        """True when the student was added, False when already on the roster."""
        async with self.uow:
            school_class = await self._owned_class(owner, class_id)
            student = await self._owned_student(owner, student_id)
            added = await self.uow.memberships.add_many(class_id, [student_id], self.clock.now())
            if added:
                await self._announce(student, school_class, "roster_student_added")
                await self.uow.commit()
        return bool(added)

    async def remove(self, owner: str, class_id: UUID, student_id: UUID) -> None:
        async with self.uow:
            school_class = await self._owned_class(owner, class_id)
            student = await self._owned_student(owner, student_id)
            if not await self.uow.memberships.remove(class_id, student_id):
                raise StudentNotFoundError(student_id, "The student is not on the class roster")
            await self._announce(student, school_class, "roster_student_removed")
            await self.uow.commit()

    async def _announce(self, student: Student, school_class: SchoolClass, kind: str) -> None:
        class_ids = (await self.uow.memberships.class_ids_of([student.id]))[student.id]
        self.uow.emit(
            events.student_updated(student, class_ids),
            aggregate_type=events.STUDENT,
            aggregate_id=student.id,
        )
        data = {"class_id": str(school_class.id), "student_id": str(student.id)}
        notification = Notification(school_class.owner_user_id, kind, data)
        self.uow.after_commit(partial(self.notifier.send, notification))

    async def _owned_class(self, owner: str, class_id: UUID) -> SchoolClass:
        school_class = await self.uow.classes.get_owned(owner, class_id)
        if school_class is None:
            raise ClassNotFoundError(class_id)
        return school_class

    async def _owned_student(self, owner: str, student_id: UUID) -> Student:
        student = await self.uow.students.get_owned(owner, student_id)
        if student is None:
            raise StudentNotFoundError(student_id)
        return student
