"""Use cases on students: create, read, update, delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from uuid import UUID, uuid4

from common_core.events.class_management import StudentDeletedV1
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.redis import Notification, Notifier
from services.class_management_service.domain.commands import CreateStudent, UpdateStudent
from services.class_management_service.domain.errors import (
    ClassNotFoundError,
    ConflictError,
    DuplicateStudentError,
    InvalidInputError,
    StudentNotFoundError,
)
from services.class_management_service.domain.model import Student, StudentDetails
from services.class_management_service.domain.rules import normalise_email
from services.class_management_service.handlers import events
from services.class_management_service.protocols import UnitOfWork


@dataclass
class StudentHandlers:
    uow: UnitOfWork
    clock: Clock
    notifier: Notifier

    async def create(self, owner: str, command: CreateStudent) -> StudentDetails:
        email = normalise_email(command.email)
        class_ids = list(dict.fromkeys(command.class_ids))
        async with self.uow:
            await self._require_owned_classes(owner, class_ids)
            now = self.clock.now()
            student = Student(
                uuid4(), owner, command.first_name, command.last_name, email, now, now
            )
            stored = await self.uow.students.add_if_absent(student)
            if stored.id != student.id:
                raise DuplicateStudentError(email, stored.id)
            for class_id in class_ids:
                await self.uow.memberships.add_many(class_id, [student.id], now)
            event_id = events.created_event_id("student", student.id)
            payload = events.student_created(student, class_ids)
            self.uow.emit(
                payload,
                aggregate_type=events.STUDENT,
                aggregate_id=student.id,
                event_id=event_id,
            )
            self._notify(student, "student_created")
            await self.uow.commit()
        return StudentDetails(student, class_ids)

    async def get(self, owner: str, student_id: UUID) -> StudentDetails:
        async with self.uow.read_only():
            student = await self._owned(owner, student_id)
            class_ids = await self.uow.memberships.class_ids_of([student_id])
        return StudentDetails(student, class_ids[student_id])

    async def update(self, owner: str, student_id: UUID, command: UpdateStudent) -> StudentDetails:
        if command.first_name is None and command.last_name is None and command.email is None:
            raise InvalidInputError("Nothing to update: give first_name, last_name and/or email")
        email = None if command.email is None else normalise_email(command.email)
        async with self.uow:
            current = await self._owned(owner, student_id)
            changed = replace(
                current,
                first_name=_new_or(command.first_name, current.first_name),
                last_name=_new_or(command.last_name, current.last_name),
                email=_new_or(email, current.email),
            )
            class_ids = (await self.uow.memberships.class_ids_of([student_id]))[student_id]
            if changed != current:
                changed = replace(changed, updated_at=self.clock.now())
                await self.uow.students.update(changed)
                self.uow.emit(
                    events.student_updated(changed, class_ids),
                    aggregate_type=events.STUDENT,
                    aggregate_id=student_id,
                )
                self._notify(changed, "student_updated")
                await self.uow.commit()
        return StudentDetails(changed, class_ids)

    async def delete(self, owner: str, student_id: UUID) -> None:
        async with self.uow:
            student = await self._owned(owner, student_id)
            linked = await self.uow.associations.count_for_student(student_id)
            if linked:
                raise ConflictError(
                    "The student is linked to essays and cannot be deleted",
                    student_id=str(student_id),
                    association_count=linked,
                )
            await self.uow.memberships.remove_student(student_id)
            await self.uow.students.delete(student_id)
            payload = StudentDeletedV1(student_id=student_id, owner_user_id=owner)
            self.uow.emit(payload, aggregate_type=events.STUDENT, aggregate_id=student_id)
            self._notify(student, "student_deleted")
            await self.uow.commit()

    async def _require_owned_classes(self, owner: str, class_ids: Sequence[UUID]) -> None:
        if not class_ids:
            return
        owned = await self.uow.classes.owned_ids(owner, class_ids)
        for class_id in class_ids:
            if class_id not in owned:
                raise ClassNotFoundError(class_id)

    async def _owned(self, owner: str, student_id: UUID) -> Student:
        student = await self.uow.students.get_owned(owner, student_id)
        if student is None:
            raise StudentNotFoundError(student_id)
        return student

    def _notify(self, student: Student, kind: str) -> None:
        data = {"student_id": str(student.id), "name": student.full_name}
        notification = Notification(student.owner_user_id, kind, data)
        self.uow.after_commit(partial(self.notifier.send, notification))


def _new_or(new: str | None, current: str) -> str:
    return current if new is None else new
