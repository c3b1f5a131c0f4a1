"""Roster import from CSV: one transaction, per-row results; importing a file again changes
nothing, because students are matched by the owner's email and memberships are kept once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.redis import Notification, Notifier
from services.class_management_service.domain.errors import (
    ClassManagementError,
    ClassNotFoundError,
)
from services.class_management_service.domain.model import SchoolClass, Student
from services.class_management_service.domain.roster_file import (
    ParsedRoster,
    RosterLine,
    parse_roster,
)
from services.class_management_service.handlers import events
from services.class_management_service.protocols import UnitOfWork

if TYPE_CHECKING:
    from services.class_management_service.metrics import ClassManagementMetrics


class RowStatus(StrEnum):
    CREATED = "created"  # a new student, added to the class
    ADDED = "added"  # the owner's existing student (same email), added to the class
    ALREADY_PRESENT = "already_present"  # already on the roster: nothing changed
    INVALID = "invalid"


@dataclass(frozen=True)
class RowResult:
    row: int
    status: RowStatus
    email: str | None
    student_id: UUID | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ImportReport:
    class_id: UUID
    rows: list[RowResult]

    def count(self, status: RowStatus) -> int:
        return sum(1 for row in self.rows if row.status is status)


@dataclass
class RosterImportHandler:
    uow: UnitOfWork
    clock: Clock
    notifier: Notifier
    max_rows: int
    metrics: ClassManagementMetrics

    async def import_csv(self, owner: str, class_id: UUID, data: bytes) -> ImportReport:
        try:
            report = await self._import(owner, class_id, data)
        except ClassManagementError:
            self.metrics.import_refused()
            raise
        self.metrics.imported(report)
        return report

    async def _import(self, owner: str, class_id: UUID, data: bytes) -> ImportReport:
        # Reading a 10,000-row workbook takes seconds of CPU: not on the event loop.
        parsed = await asyncio.to_thread(parse_roster, data, self.max_rows)
        async with self.uow:
            school_class = await self.uow.classes.get_owned(owner, class_id)
            if school_class is None:
                raise ClassNotFoundError(class_id)
            results = await self._apply(school_class, parsed.lines)
            report = _report(class_id, parsed, results)
            self._notify(school_class, report)
            await self.uow.commit()
        return report

    async def _apply(self, school_class: SchoolClass, lines: list[RosterLine]) -> list[RowResult]:
        now = self.clock.now()
        owner = school_class.owner_user_id
        existing = await self.uow.students.find_by_emails(owner, [line.email for line in lines])
        candidates = [
            Student(uuid4(), owner, line.first_name, line.last_name, line.email, now, now)
            for line in lines
            if line.email not in existing
        ]
        stored = await self.uow.students.add_many_if_absent(candidates)
        created = {student.id for student in candidates} & {student.id for student in stored}
        students = {**existing, **{student.email: student for student in stored}}
        ids = [students[line.email].id for line in lines]
        added = await self.uow.memberships.add_many(school_class.id, ids, now)
        await self._announce(school_class, [students[line.email] for line in lines], created, added)
        return [_result(line, students[line.email].id, created, added) for line in lines]

    async def _announce(
        self,
        school_class: SchoolClass,
        students: list[Student],
        created: set[UUID],
        added: set[UUID],
    ) -> None:
        for student in students:
            if student.id in created:
                event_id = events.created_event_id("student", student.id)
                payload = events.student_created(student, [school_class.id])
                self.uow.emit(
                    payload,
                    aggregate_type=events.STUDENT,
                    aggregate_id=student.id,
                    event_id=event_id,
                )
        newly_joined = added - created
        joined = [student for student in students if student.id in newly_joined]
        await self._announce_joined(joined)

    async def _announce_joined(self, students: list[Student]) -> None:
        if not students:
            return
        class_ids = await self.uow.memberships.class_ids_of([student.id for student in students])
        for student in students:
            payload = events.student_updated(student, class_ids[student.id])
            self.uow.emit(payload, aggregate_type=events.STUDENT, aggregate_id=student.id)

    def _notify(self, school_class: SchoolClass, report: ImportReport) -> None:
        data = {"class_id": str(school_class.id)} | {
            status.value: report.count(status) for status in RowStatus
        }
        notification = Notification(school_class.owner_user_id, "roster_imported", data)
        self.uow.after_commit(partial(self.notifier.send, notification))


def _result(line: RosterLine, student_id: UUID, created: set[UUID], added: set[UUID]) -> RowResult:
    if student_id in created:
        status = RowStatus.CREATED
    elif student_id in added:
        status = RowStatus.ADDED
    else:
        status = RowStatus.ALREADY_PRESENT
    return RowResult(line.row, status, line.email, student_id)


def _report(class_id: UUID, parsed: ParsedRoster, results: list[RowResult]) -> ImportReport:
    invalid = [
        RowResult(line.row, RowStatus.INVALID, line.email, reason=line.reason)
        for line in parsed.rejected
    ]
    return ImportReport(class_id, sorted([*results, *invalid], key=lambda result: result.row))
