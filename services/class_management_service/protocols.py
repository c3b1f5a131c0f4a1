"""Ports at the service's real seams: storage (PostgreSQL, or in memory for unit tests) and the
real-time notifier (Redis). Each has exactly those two implementations."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Self
from uuid import UUID

from huleedu_service_libs.unit_of_work import UnitOfWork as KitUnitOfWork
from services.class_management_service.domain.model import (
    ClassDetails,
    Course,
    EssayAssociation,
    Page,
    SchoolClass,
    Student,
)


class CourseRepository(Protocol):
    async def get(self, code: str) -> Course | None: ...


class ClassRepository(Protocol):
    async def add(self, school_class: SchoolClass) -> None: ...
    async def update(self, school_class: SchoolClass) -> None: ...
    async def delete(self, class_id: UUID) -> None: ...
    async def get(self, class_id: UUID) -> SchoolClass | None: ...
    async def get_owned(self, owner_user_id: str, class_id: UUID) -> SchoolClass | None: ...
    async def details(self, owner_user_id: str, class_id: UUID) -> ClassDetails | None: ...
    async def list_owned(
        self, owner_user_id: str, course_code: str | None, limit: int, offset: int
    ) -> Page[ClassDetails]: ...
    async def owned_ids(self, owner_user_id: str, class_ids: Sequence[UUID]) -> set[UUID]: ...


class StudentRepository(Protocol):
    async def add_if_absent(self, student: Student) -> Student:
        """The stored student: `student` itself, or the owner's existing one with that email."""

    async def add_many_if_absent(self, students: Sequence[Student]) -> list[Student]: ...
    async def update(self, student: Student) -> None:
        """Raises DuplicateStudentError when the new email is another student's."""

    async def delete(self, student_id: UUID) -> None: ...
    async def get_owned(self, owner_user_id: str, student_id: UUID) -> Student | None: ...
    async def get_many(self, student_ids: Sequence[UUID]) -> list[Student]: ...
    async def find_by_email(self, owner_user_id: str, email: str) -> Student | None: ...
    async def find_by_emails(
        self, owner_user_id: str, emails: Sequence[str]
    ) -> dict[str, Student]: ...


class MembershipRepository(Protocol):
    async def add_many(
        self, class_id: UUID, student_ids: Sequence[UUID], at: datetime
    ) -> set[UUID]:
        """The students newly added; those already on the roster are left as they were."""

    async def remove(self, class_id: UUID, student_id: UUID) -> bool: ...
    async def remove_class(self, class_id: UUID) -> list[UUID]: ...
    async def remove_student(self, student_id: UUID) -> list[UUID]: ...
    async def class_ids_of(self, student_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]: ...
    async def roster(self, class_id: UUID, limit: int, offset: int) -> Page[Student]: ...
    async def member_ids(self, class_id: UUID) -> set[UUID]: ...


class AssociationRepository(Protocol):
    async def lock_batch(self, batch_id: UUID, *, wait: bool) -> bool:
        """Serialises every writer of one batch until the transaction ends; False when
        `wait` is off and another transaction holds it."""

    async def add_if_absent(self, association: EssayAssociation) -> bool: ...
    async def update_many(self, associations: Sequence[EssayAssociation]) -> None: ...
    async def for_batch(self, batch_id: UUID) -> list[EssayAssociation]: ...
    async def batches_due(self, cutoff: datetime, limit: int) -> list[UUID]: ...
    async def count_for_class(self, class_id: UUID) -> int: ...
    async def count_for_student(self, student_id: UUID) -> int: ...


@dataclass(frozen=True)
class Notification:
    user_id: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    async def send(self, notification: Notification) -> None:
        """Best effort: never raises; a lost notification never undoes a committed change."""


class UnitOfWork(KitUnitOfWork, Protocol):
    """The library's unit of work (SqlUnitOfWork, or its in-memory twin) with this service's
    repositories, and a read-only path without a transaction."""

    @property
    def courses(self) -> CourseRepository: ...
    @property
    def classes(self) -> ClassRepository: ...
    @property
    def students(self) -> StudentRepository: ...
    @property
    def memberships(self) -> MembershipRepository: ...
    @property
    def associations(self) -> AssociationRepository: ...

    def read_only(self) -> AbstractAsyncContextManager[Self]:
        """The repositories for reads only: no transaction to commit, nothing to emit."""
