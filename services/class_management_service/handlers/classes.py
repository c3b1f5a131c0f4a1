"""Use cases on classes: create, read, list, update, delete."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from uuid import UUID, uuid4

from common_core.events.class_management import ClassDeletedV1
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.redis import Notification, Notifier
from services.class_management_service.domain.commands import CreateClass, UpdateClass
from services.class_management_service.domain.errors import (
    ClassNotFoundError,
    ConflictError,
    CourseNotFoundError,
    InvalidInputError,
)
from services.class_management_service.domain.model import (
    ClassDetails,
    Course,
    Page,
    SchoolClass,
)
from services.class_management_service.domain.rules import single_course_code
from services.class_management_service.handlers import events
from services.class_management_service.protocols import UnitOfWork


@dataclass
class ClassHandlers:
    uow: UnitOfWork
    clock: Clock
    notifier: Notifier

    async def create(self, owner: str, command: CreateClass) -> ClassDetails:
        code = single_course_code(command.course_codes)
        async with self.uow:
            course = await self._course(code)
            now = self.clock.now()
            school_class = SchoolClass(uuid4(), owner, command.name, course.code, now, now)
            await self.uow.classes.add(school_class)
            event_id = events.created_event_id("class", school_class.id)
            self.uow.emit(
                events.class_created(school_class),
                aggregate_type=events.CLASS,
                aggregate_id=school_class.id,
                event_id=event_id,
            )
            self._notify(school_class, "class_created")
            await self.uow.commit()
        return ClassDetails(school_class, course, student_count=0)

    async def get(self, owner: str, class_id: UUID) -> ClassDetails:
        async with self.uow.read_only():
            return await self._details(owner, class_id)

    async def list_owned(
        self, owner: str, course_code: str | None, limit: int, offset: int
    ) -> Page[ClassDetails]:
        async with self.uow.read_only():
            if course_code is not None:
                course_code = (await self._course(course_code.strip().upper())).code
            return await self.uow.classes.list_owned(owner, course_code, limit, offset)

    async def update(self, owner: str, class_id: UUID, command: UpdateClass) -> ClassDetails:
        if command.name is None and command.course_codes is None:
            raise InvalidInputError("Nothing to update: give name and/or course_codes")
        async with self.uow:
            current = await self._owned(owner, class_id)
            changed = await self._changed(current, command)
            if changed != current:
                await self.uow.classes.update(changed)
                self.uow.emit(
                    events.class_updated(changed),
                    aggregate_type=events.CLASS,
                    aggregate_id=class_id,
                )
                self._notify(changed, "class_updated")
                await self.uow.commit()
            return await self._details(owner, class_id)

    async def delete(self, owner: str, class_id: UUID) -> None:
        async with self.uow:
            school_class = await self._owned(owner, class_id)
            linked = await self.uow.associations.count_for_class(class_id)
            if linked:
                raise ConflictError(
                    "The class has essay-student associations and cannot be deleted",
                    class_id=str(class_id),
                    association_count=linked,
                )
            former_members = await self.uow.memberships.remove_class(class_id)
            await self.uow.classes.delete(class_id)
            self.uow.emit(
                ClassDeletedV1(class_id=class_id, owner_user_id=owner),
                aggregate_type=events.CLASS,
                aggregate_id=class_id,
            )
            await self._announce_members_left(former_members)
            self._notify(school_class, "class_deleted")
            await self.uow.commit()

    async def _announce_members_left(self, student_ids: list[UUID]) -> None:
        if not student_ids:
            return
        class_ids = await self.uow.memberships.class_ids_of(student_ids)
        for student in await self.uow.students.get_many(student_ids):
            payload = events.student_updated(student, class_ids[student.id])
            self.uow.emit(payload, aggregate_type=events.STUDENT, aggregate_id=student.id)

    async def _changed(self, current: SchoolClass, command: UpdateClass) -> SchoolClass:
        name = current.name if command.name is None else command.name
        code = current.course_code
        if command.course_codes is not None:
            code = (await self._course(single_course_code(command.course_codes))).code
        if (name, code) == (current.name, current.course_code):
            return current
        return SchoolClass(
            current.id, current.owner_user_id, name, code, current.created_at, self.clock.now()
        )

    async def _course(self, code: str) -> Course:
        course = await self.uow.courses.get(code)
        if course is None:
            raise CourseNotFoundError(code)
        return course

    async def _details(self, owner: str, class_id: UUID) -> ClassDetails:
        details = await self.uow.classes.details(owner, class_id)
        if details is None:
            raise ClassNotFoundError(class_id)
        return details

    async def _owned(self, owner: str, class_id: UUID) -> SchoolClass:
        school_class = await self.uow.classes.get_owned(owner, class_id)
        if school_class is None:
            raise ClassNotFoundError(class_id)
        return school_class

    def _notify(self, school_class: SchoolClass, kind: str) -> None:
        data = {"class_id": str(school_class.id), "name": school_class.name}
        notification = Notification(school_class.owner_user_id, kind, data)
        self.uow.after_commit(partial(self.notifier.send, notification))
