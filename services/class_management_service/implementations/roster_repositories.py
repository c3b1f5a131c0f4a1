"""PostgreSQL repositories for roster memberships and essay-student associations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common_core.domain_enums import AssociationStatus, ValidationMethod
from services.class_management_service.domain.model import EssayAssociation, Page, Student
from services.class_management_service.implementations.tables import (
    ASSOCIATIONS,
    MEMBERSHIPS,
    STUDENTS,
    Executor,
    as_row,
)

_INSERT_MEMBERSHIP = (
    pg_insert(MEMBERSHIPS).on_conflict_do_nothing().returning(MEMBERSHIPS.c.student_id)
)
_INSERT_ASSOCIATION = (
    pg_insert(ASSOCIATIONS)
    .on_conflict_do_nothing(index_elements=["batch_id", "essay_id"])
    .returning(ASSOCIATIONS.c.id)
)
_PENDING = AssociationStatus.PENDING_VALIDATION.value
# Advisory locks are keyed by one bigint; this namespace keeps batch locks apart from others.
_BATCH_LOCK_NAMESPACE = 0x434D5F4241544348  # "CM_BATCH"


class SqlMembershipRepository:
    def __init__(self, session: Executor) -> None:
        self.session = session

    async def add_many(
        self, class_id: UUID, student_ids: Sequence[UUID], at: datetime
    ) -> set[UUID]:
        if not student_ids:
            return set()
        rows = [{"class_id": class_id, "student_id": sid, "added_at": at} for sid in student_ids]
        return set((await self.session.execute(_INSERT_MEMBERSHIP, rows)).scalars())

    async def remove(self, class_id: UUID, student_id: UUID) -> bool:
        statement = MEMBERSHIPS.delete().where(
            MEMBERSHIPS.c.class_id == class_id, MEMBERSHIPS.c.student_id == student_id
        )
        return bool(
            (await self.session.execute(statement.returning(MEMBERSHIPS.c.class_id))).first()
        )

    async def remove_class(self, class_id: UUID) -> list[UUID]:
        statement = MEMBERSHIPS.delete().where(MEMBERSHIPS.c.class_id == class_id)
        return list(
            (await self.session.execute(statement.returning(MEMBERSHIPS.c.student_id))).scalars()
        )

    async def remove_student(self, student_id: UUID) -> list[UUID]:
        statement = MEMBERSHIPS.delete().where(MEMBERSHIPS.c.student_id == student_id)
        return list(
            (await self.session.execute(statement.returning(MEMBERSHIPS.c.class_id))).scalars()
        )

    async def class_ids_of(self, student_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        statement = (
            select(MEMBERSHIPS.c.student_id, MEMBERSHIPS.c.class_id)
            .where(MEMBERSHIPS.c.student_id.in_(list(student_ids)))
            .order_by(MEMBERSHIPS.c.added_at, MEMBERSHIPS.c.class_id)
        )
        class_ids: dict[UUID, list[UUID]] = {student_id: [] for student_id in student_ids}
        for student_id, class_id in (await self.session.execute(statement)).all():
            class_ids[student_id].append(class_id)
        return class_ids

    async def roster(self, class_id: UUID, limit: int, offset: int) -> Page[Student]:
        members = select(STUDENTS).join(MEMBERSHIPS, MEMBERSHIPS.c.student_id == STUDENTS.c.id)
        page = (
            members.where(MEMBERSHIPS.c.class_id == class_id)
            .order_by(STUDENTS.c.last_name, STUDENTS.c.first_name, STUDENTS.c.id)
            .limit(limit)
            .offset(offset)
        )
        rows = (await self.session.execute(page)).all()
        count = select(func.count()).where(MEMBERSHIPS.c.class_id == class_id)
        total = (await self.session.execute(count)).scalar_one()
        return Page([Student(**row._mapping) for row in rows], total, limit, offset)

    async def member_ids(self, class_id: UUID) -> set[UUID]:
        statement = select(MEMBERSHIPS.c.student_id).where(MEMBERSHIPS.c.class_id == class_id)
        return set((await self.session.execute(statement)).scalars())


class SqlAssociationRepository:
    def __init__(self, session: Executor) -> None:
        self.session = session

    async def lock_batch(self, batch_id: UUID, *, wait: bool) -> bool:
        function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        statement = text(f"SELECT {function}(CAST(:key AS bigint))")
        result = await self.session.execute(statement, {"key": _lock_key(batch_id)})
        return wait or bool(result.scalar_one())

    async def add_if_absent(self, association: EssayAssociation) -> bool:
        inserted = await self.session.execute(_INSERT_ASSOCIATION, [_row(association)])
        return inserted.first() is not None

    async def update_many(self, associations: Sequence[EssayAssociation]) -> None:
        for association in associations:
            values = _row(association)
            statement = update(ASSOCIATIONS).where(ASSOCIATIONS.c.id == values.pop("id"))
            await self.session.execute(statement.values(values))

    async def for_batch(self, batch_id: UUID) -> list[EssayAssociation]:
        statement = (
            select(ASSOCIATIONS)
            .where(ASSOCIATIONS.c.batch_id == batch_id)
            .order_by(ASSOCIATIONS.c.created_at, ASSOCIATIONS.c.essay_id)
        )
        return [_association(row._mapping) for row in (await self.session.execute(statement))]

    async def batches_due(self, cutoff: datetime, limit: int) -> list[UUID]:
        statement = (
            select(ASSOCIATIONS.c.batch_id)
            .where(
                ASSOCIATIONS.c.validation_status == _PENDING, ASSOCIATIONS.c.created_at <= cutoff
            )
            .group_by(ASSOCIATIONS.c.batch_id)
            .order_by(func.min(ASSOCIATIONS.c.created_at))
            .limit(limit)
        )
        return list((await self.session.execute(statement)).scalars())

    async def count_for_class(self, class_id: UUID) -> int:
        statement = select(func.count()).where(ASSOCIATIONS.c.class_id == class_id)
        return int((await self.session.execute(statement)).scalar_one())

    async def count_for_student(self, student_id: UUID) -> int:
        refers = (ASSOCIATIONS.c.student_id == student_id) | (
            ASSOCIATIONS.c.suggested_student_id == student_id
        )
        statement = select(func.count()).where(refers)
        return int((await self.session.execute(statement)).scalar_one())


def _lock_key(batch_id: UUID) -> int:
    return _BATCH_LOCK_NAMESPACE ^ int.from_bytes(batch_id.bytes[:8], "big", signed=True)


def _row(association: EssayAssociation) -> dict[str, Any]:
    values = as_row(association)
    values["validation_status"] = association.validation_status.value
    method = association.validation_method
    values["validation_method"] = None if method is None else method.value
    return values


def _association(values: Any) -> EssayAssociation:
    fields = {name: values[name] for name in EssayAssociation.__dataclass_fields__}
    fields["validation_status"] = AssociationStatus(values["validation_status"])
    method = values["validation_method"]
    fields["validation_method"] = None if method is None else ValidationMethod(method)
    return EssayAssociation(**fields)
