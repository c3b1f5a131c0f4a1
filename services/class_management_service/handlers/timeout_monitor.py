"""The association timeout sweep: associations still pending after the timeout are decided
(confidence >= threshold keeps the suggested student, otherwise the class's UNKNOWN student).

Replica-safe: each batch is handled under its batch lock, taken without waiting (a batch held by
another replica or by a teacher's confirmation is left for the next sweep), and the pending rows
are re-read under the lock, so a teacher's decision is never overwritten and no association is
decided twice. The worker's schedule (workers/timeout_schedule.py) runs it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from uuid import UUID, uuid4

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.redis import Notification, Notifier
from services.class_management_service.domain.errors import UnknownClassError
from services.class_management_service.domain.model import EssayAssociation, SchoolClass, Student
from services.class_management_service.domain.review import TimeoutPolicy
from services.class_management_service.domain.rules import unknown_student_email
from services.class_management_service.handlers import events
from services.class_management_service.metrics import ClassManagementMetrics
from services.class_management_service.protocols import UnitOfWork


@dataclass(frozen=True)
class SweepResult:
    batches_completed: int
    associations_resolved: int


@dataclass
class AssociationTimeoutMonitor:
    uow: UnitOfWork
    clock: Clock
    notifier: Notifier
    policy: TimeoutPolicy
    batch_limit: int
    metrics: ClassManagementMetrics

    async def sweep(self) -> SweepResult:
        with correlation_scope(CorrelationContext.generate()):
            now = self.clock.now()
            completed = resolved = 0
            while True:
                async with self.uow.read_only():
                    due = await self.uow.associations.batches_due(
                        self.policy.cutoff(now), self.batch_limit
                    )
                outcomes = [await self._resolve_batch(batch_id, now) for batch_id in due]
                completed += sum(1 for count, done in outcomes if done)
                resolved += sum(count for count, _ in outcomes)
                if len(due) < self.batch_limit or not any(count for count, _ in outcomes):
                    return SweepResult(completed, resolved)

    async def _resolve_batch(self, batch_id: UUID, now: datetime) -> tuple[int, bool]:
        async with self.uow:
            if not await self.uow.associations.lock_batch(batch_id, wait=False):
                return 0, False
            current = await self.uow.associations.for_batch(batch_id)
            due = [item for item in current if self.policy.is_due(item, now)]
            if not due:
                return 0, False
            unknown: dict[UUID, UUID] = {}  # class id -> its UNKNOWN student, found once
            resolved = [await self._resolve(item, now, unknown) for item in due]
            await self.uow.associations.update_many(resolved)
            by_id = {item.id: item for item in resolved}
            after = [by_id.get(item.id, item) for item in current]
            completed = not any(item.is_pending for item in after)
            await self._announce(after, len(resolved), completed)
            await self.uow.commit()
        self.metrics.timed_out(len(resolved))
        return len(resolved), completed

    async def _resolve(
        self, association: EssayAssociation, now: datetime, unknown: dict[UUID, UUID]
    ) -> EssayAssociation:
        class_id = association.class_id
        if not self.policy.keeps_suggestion(association) and class_id not in unknown:
            unknown[class_id] = (await self._unknown_student(class_id, now)).id
        return self.policy.resolve(association, unknown.get(class_id), now)

    async def _unknown_student(self, class_id: UUID, now: datetime) -> Student:
        school_class = await self._class(class_id)
        placeholder = Student(
            uuid4(),
            school_class.owner_user_id,
            "Unknown",
            "Student",
            unknown_student_email(class_id),
            now,
            now,
        )
        # Created once per class: replicas racing here meet on the (owner, email) constraint.
        student = await self.uow.students.add_if_absent(placeholder)
        joined = await self.uow.memberships.add_many(class_id, [student.id], now)
        if student.id == placeholder.id:
            event_id = events.created_event_id("student", student.id)
            payload = events.student_created(student, [class_id])
            self.uow.emit(
                payload, aggregate_type=events.STUDENT, aggregate_id=student.id, event_id=event_id
            )
        elif joined:
            class_ids = (await self.uow.memberships.class_ids_of([student.id]))[student.id]
            self.uow.emit(
                events.student_updated(student, class_ids),
                aggregate_type=events.STUDENT,
                aggregate_id=student.id,
            )
        return student

    async def _class(self, class_id: UUID) -> SchoolClass:
        school_class = await self.uow.classes.get(class_id)
        if school_class is None:  # the RESTRICT key makes this impossible short of manual edits
            raise UnknownClassError(f"class {class_id}")
        return school_class

    async def _announce(
        self, after: list[EssayAssociation], resolved: int, completed: bool
    ) -> None:
        first = after[0]
        if completed:
            self.uow.emit(
                events.associations_confirmed(after, timeout_triggered=True),
                aggregate_type=events.BATCH,
                aggregate_id=first.batch_id,
                event_id=events.associations_confirmed_event_id(after),
            )
        school_class = await self._class(first.class_id)
        data = {"batch_id": str(first.batch_id), "resolved": resolved, "completed": completed}
        notification = Notification(
            school_class.owner_user_id, "student_associations_timed_out", data
        )
        self.uow.after_commit(partial(self.notifier.send, notification))
