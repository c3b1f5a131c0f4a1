"""One suite, two adapters: the in-memory fakes the unit tests use must behave like the
PostgreSQL repositories on everything the use cases rely on."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy.exc import IntegrityError

from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.events import EnvelopeFactory
from services.class_management_service.config import SERVICE_NAME, Settings
from services.class_management_service.domain.errors import DuplicateStudentError
from services.class_management_service.domain.model import SchoolClass, Student
from services.class_management_service.protocols import UnitOfWork
from services.class_management_service.tests.fake_repositories import ForeignKeyViolation
from services.class_management_service.tests.fakes import (
    FakeUnitOfWork,
    InMemoryDatabase,
    ManualClock,
    pending_association,
)
from services.class_management_service.tests.wiring import sql_container

pytestmark = pytest.mark.integration
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def correlation() -> Iterator[None]:
    with correlation_scope(CorrelationContext.generate()):
        yield


@pytest.fixture(params=["in_memory", "postgresql"])
async def uow(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[UnitOfWork]:
    if request.param == "in_memory":
        yield FakeUnitOfWork(InMemoryDatabase(), EnvelopeFactory(SERVICE_NAME))
        return
    async with sql_container(settings, ManualClock()) as container, container() as scope:
        yield await scope.get(UnitOfWork)


def _class(owner: str = "t1", course: str = "ENG5", minutes: int = 0) -> SchoolClass:
    at = T0 + timedelta(minutes=minutes)
    return SchoolClass(uuid4(), owner, "9A", course, at, at)


def _student(email: str, owner: str = "t1", last: str = "L", first: str = "F") -> Student:
    return Student(uuid4(), owner, first, last, email, T0, T0)


async def _committed(
    uow: UnitOfWork, *classes: SchoolClass, students: tuple[Student, ...] = ()
) -> None:
    async with uow:
        for school_class in classes:
            await uow.classes.add(school_class)
        await uow.students.add_many_if_absent(students)
        await uow.commit()


async def test_students_are_unique_per_owner_and_email(uow: UnitOfWork) -> None:
    ada = _student("ada@x.se")
    await _committed(uow, students=(ada,))
    async with uow:
        again = await uow.students.add_if_absent(_student("ada@x.se"))
        other_owner = _student("ada@x.se", owner="t2")
        stored = await uow.students.add_many_if_absent([_student("bo@x.se"), other_owner])
        await uow.commit()
    assert again == ada
    assert stored[1] == other_owner
    async with uow:
        found = await uow.students.find_by_emails("t1", ["ada@x.se", "bo@x.se", "nobody@x.se"])
        assert set(found) == {"ada@x.se", "bo@x.se"}
        with pytest.raises(DuplicateStudentError) as refused:
            await uow.students.update(replace(stored[0], email="ada@x.se"))
    assert refused.value.details["existing_student_id"] == str(ada.id)


async def test_leaving_without_commit_rolls_back(uow: UnitOfWork) -> None:
    async with uow:
        await uow.classes.add(_class())
    async with uow:
        assert (await uow.classes.list_owned("t1", None, 10, 0)).total == 0


async def test_memberships_are_kept_once_and_ordered(uow: UnitOfWork) -> None:
    first, second = _class(minutes=1), _class(minutes=2)
    ada, bo = _student("ada@x.se", last="B"), _student("bo@x.se", last="A")
    await _committed(uow, first, second, students=(ada, bo))
    async with uow:
        assert await uow.memberships.add_many(second.id, [ada.id, bo.id], T0) == {ada.id, bo.id}
        assert await uow.memberships.add_many(first.id, [ada.id], T0 + timedelta(seconds=1)) == {
            ada.id
        }
        assert await uow.memberships.add_many(second.id, [ada.id], T0) == set()
        class_ids = await uow.memberships.class_ids_of([ada.id, bo.id, uuid4()])
        roster = await uow.memberships.roster(second.id, limit=1, offset=1)
        details = await uow.classes.details("t1", second.id)
        assert await uow.memberships.remove(second.id, bo.id) is True
        assert await uow.memberships.remove(second.id, bo.id) is False
        assert await uow.memberships.remove_class(first.id) == [ada.id]
    assert list(class_ids.values())[:2] == [[second.id, first.id], [second.id]]
    assert list(class_ids.values())[2] == []
    assert ([s.id for s in roster.items], roster.total) == ([ada.id], 2)
    assert details is not None
    assert details.student_count == 2


async def test_classes_list_newest_first_per_owner_and_course(uow: UnitOfWork) -> None:
    classes = [_class(minutes=1), _class(course="SV1", minutes=2), _class(minutes=3), _class("t2")]
    await _committed(uow, *classes)
    async with uow:
        eng = await uow.classes.list_owned("t1", "ENG5", limit=10, offset=0)
        second_page = await uow.classes.list_owned("t1", None, limit=2, offset=2)
        owned = await uow.classes.owned_ids("t1", [c.id for c in classes])
        foreign = await uow.classes.get_owned("t1", classes[3].id)
    assert [item.school_class.id for item in eng.items] == [classes[2].id, classes[0].id]
    assert ([item.school_class.id for item in second_page.items], second_page.total) == (
        [classes[0].id],
        3,
    )
    assert owned == {c.id for c in classes[:3]}
    assert foreign is None


async def test_associations_are_unique_per_essay_and_due_batches_oldest_first(
    uow: UnitOfWork,
) -> None:
    school_class = _class()
    ada = _student("ada@x.se")
    await _committed(uow, school_class, students=(ada,))
    old_batch, new_batch, essay = uuid4(), uuid4(), uuid4()
    async with uow:
        assert await uow.associations.lock_batch(old_batch, wait=False) is True
        first = pending_association(new_batch, school_class.id, essay, T0 + timedelta(hours=2))
        assert await uow.associations.add_if_absent(first)
        assert not await uow.associations.add_if_absent(
            pending_association(
                new_batch, school_class.id, essay, T0, suggested=ada.id, confidence=0.5
            )
        )
        older = pending_association(
            old_batch, school_class.id, uuid4(), T0, suggested=ada.id, confidence=0.5
        )
        await uow.associations.add_if_absent(older)
        await uow.commit()
    async with uow:
        due = await uow.associations.batches_due(T0 + timedelta(hours=3), limit=10)
        limited = await uow.associations.batches_due(T0 + timedelta(hours=1), limit=10)
        count = await uow.associations.count_for_student(ada.id)
        stored = await uow.associations.for_batch(new_batch)
    assert (due, limited, count) == ([old_batch, new_batch], [old_batch], 1)
    assert stored == [first]


async def test_a_class_or_student_linked_to_an_essay_cannot_vanish(uow: UnitOfWork) -> None:
    school_class, ada = _class(), _student("ada@x.se")
    await _committed(uow, school_class, students=(ada,))
    async with uow:
        await uow.associations.add_if_absent(
            pending_association(
                uuid4(), school_class.id, uuid4(), T0, suggested=ada.id, confidence=0.9
            )
        )
        await uow.commit()
    with pytest.raises((IntegrityError, ForeignKeyViolation)):
        async with uow:
            await uow.classes.delete(school_class.id)
    with pytest.raises((IntegrityError, ForeignKeyViolation)):
        async with uow:
            await uow.students.delete(ada.id)
