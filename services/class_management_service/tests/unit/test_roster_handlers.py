from uuid import UUID

import pytest

from common_core.events.class_management import StudentCreatedV1, StudentUpdatedV1
from services.class_management_service.domain.commands import CreateClass, CreateStudent
from services.class_management_service.domain.errors import (
    ClassNotFoundError,
    InvalidInputError,
    StudentNotFoundError,
)
from services.class_management_service.handlers.classes import ClassHandlers
from services.class_management_service.handlers.roster import RosterHandlers
from services.class_management_service.handlers.roster_import import (
    RosterImportHandler,
    RowStatus,
)
from services.class_management_service.handlers.students import StudentHandlers
from services.class_management_service.tests.fakes import (
    FakeNotifier,
    FakeUnitOfWork,
    InMemoryDatabase,
    ManualClock,
)
from services.class_management_service.tests.unit.conftest import OTHER_TEACHER, TEACHER

CSV = (
    b"first_name,last_name,email\n"
    b"Ada,Lovelace,ada@x.se\n"
    b"Grace,Hopper,grace@x.se\n"
    b"Alan,Turing,bad-email\n"
    b"Linus,Already,linus@x.se\n"
)


async def _class_id(uow: FakeUnitOfWork, clock: ManualClock, owner: str = TEACHER) -> UUID:
    created = await ClassHandlers(uow, clock).create(owner, CreateClass("9A", ["ENG5"]))
    return created.school_class.id


@pytest.fixture
def importer(uow: FakeUnitOfWork, clock: ManualClock) -> RosterImportHandler:
    return RosterImportHandler(uow, clock, max_rows=100)


async def test_add_and_remove_announce_the_students_classes(
    uow: FakeUnitOfWork, clock: ManualClock, db: InMemoryDatabase
) -> None:
    class_id = await _class_id(uow, clock)
    ada = (
        await StudentHandlers(uow, clock).create(TEACHER, CreateStudent("Ada", "L", "a@x.se"))
    ).student
    roster = RosterHandlers(uow, clock)

    assert await roster.add(TEACHER, class_id, ada.id) is True
    assert await roster.add(TEACHER, class_id, ada.id) is False
    page = await roster.roster(TEACHER, class_id, limit=10, offset=0)
    await roster.remove(TEACHER, class_id, ada.id)
    with pytest.raises(StudentNotFoundError):
        await roster.remove(TEACHER, class_id, ada.id)

    assert [student.id for student in page.items] == [ada.id]
    assert [event.class_ids for event in db.payloads(StudentUpdatedV1)] == [[class_id], []]


async def test_roster_changes_need_the_owners_class_and_student(
    uow: FakeUnitOfWork, clock: ManualClock
) -> None:
    mine = await _class_id(uow, clock)
    theirs = await _class_id(uow, clock, OTHER_TEACHER)
    students = StudentHandlers(uow, clock)
    their_student = (
        await students.create(OTHER_TEACHER, CreateStudent("X", "Y", "x@x.se"))
    ).student
    my_student = (await students.create(TEACHER, CreateStudent("A", "B", "a@x.se"))).student
    roster = RosterHandlers(uow, clock)

    with pytest.raises(ClassNotFoundError):
        await roster.add(TEACHER, theirs, my_student.id)
    with pytest.raises(StudentNotFoundError):
        await roster.add(TEACHER, mine, their_student.id)
    with pytest.raises(ClassNotFoundError):
        await roster.roster(TEACHER, theirs, limit=10, offset=0)


async def test_import_reports_each_row_and_emits_one_event_per_change(
    importer: RosterImportHandler,
    uow: FakeUnitOfWork,
    clock: ManualClock,
    db: InMemoryDatabase,
    notifier: FakeNotifier,
) -> None:
    class_id = await _class_id(uow, clock)
    other_class = await _class_id(uow, clock)
    linus = await StudentHandlers(uow, clock).create(
        TEACHER, CreateStudent("Linus", "T", "linus@x.se", [other_class])
    )
    events_before = len(db.outbox)
    clock.advance(minutes=1)

    report = await importer.import_csv(TEACHER, class_id, CSV)

    assert [(row.row, row.status, row.email) for row in report.rows] == [
        (2, RowStatus.CREATED, "ada@x.se"),
        (3, RowStatus.CREATED, "grace@x.se"),
        (4, RowStatus.INVALID, "bad-email"),
        (5, RowStatus.ADDED, "linus@x.se"),
    ]
    assert report.rows[2].reason == "email is not a valid address"
    assert report.rows[3].student_id == linus.student.id
    new_events = [pending.envelope.data for pending in db.outbox[events_before:]]
    assert [type(event) for event in new_events] == [StudentCreatedV1] * 2 + [StudentUpdatedV1]
    assert new_events[2].class_ids == [other_class, class_id]
    assert len(await uow.memberships.member_ids(class_id)) == 3
    assert notifier.sent[-1].data["created"] == 2


async def test_importing_the_same_file_twice_changes_nothing(
    importer: RosterImportHandler, uow: FakeUnitOfWork, clock: ManualClock, db: InMemoryDatabase
) -> None:
    class_id = await _class_id(uow, clock)
    await importer.import_csv(TEACHER, class_id, CSV)
    students, memberships, events = dict(db.students), dict(db.memberships), len(db.outbox)

    again = await importer.import_csv(TEACHER, class_id, CSV)

    assert [row.status for row in again.rows] == [
        RowStatus.ALREADY_PRESENT,
        RowStatus.ALREADY_PRESENT,
        RowStatus.INVALID,
        RowStatus.ALREADY_PRESENT,
    ]
    assert (db.students, db.memberships, len(db.outbox)) == (students, memberships, events)


async def test_import_into_a_foreign_class_or_of_an_unreadable_file_changes_nothing(
    importer: RosterImportHandler, uow: FakeUnitOfWork, clock: ManualClock, db: InMemoryDatabase
) -> None:
    theirs = await _class_id(uow, clock, OTHER_TEACHER)
    mine = await _class_id(uow, clock)
    with pytest.raises(ClassNotFoundError):
        await importer.import_csv(TEACHER, theirs, CSV)
    with pytest.raises(InvalidInputError):
        await importer.import_csv(TEACHER, mine, b"name,mail\nx,y\n")
    assert db.students == {}
