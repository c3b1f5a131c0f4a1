import asyncio
from dataclasses import replace
from uuid import UUID

import pytest

from common_core.events.class_management import StudentCreatedV1, StudentUpdatedV1
from services.class_management_service.config import Settings
from services.class_management_service.domain.commands import CreateClass, CreateStudent
from services.class_management_service.domain.errors import (
    ClassNotFoundError,
    InvalidInputError,
    StudentNotFoundError,
)
from services.class_management_service.handlers.roster_import import (
    RosterImportHandler,
    RowStatus,
)
from services.class_management_service.tests import roster_files
from services.class_management_service.tests.fakes import (
    FakeNotifier,
    InMemoryDatabase,
    ManualClock,
)
from services.class_management_service.tests.unit.conftest import OTHER_TEACHER, TEACHER
from services.class_management_service.tests.wiring import UseCases, unit_settings

CSV = (
    b"first_name,last_name,email\n"
    b"Ada,Lovelace,ada@x.se\n"
    b"Grace,Hopper,grace@x.se\n"
    b"Alan,Turing,bad-email\n"
    b"Linus,Already,linus@x.se\n"
)


async def _class_id(use_cases: UseCases, owner: str = TEACHER) -> UUID:
    created = await use_cases.classes.create(owner, CreateClass("9A", ["ENG5"]))
    return created.school_class.id


@pytest.fixture
def settings() -> Settings:
    return unit_settings(MAX_IMPORT_ROWS=100)


@pytest.fixture
def importer(use_cases: UseCases) -> RosterImportHandler:
    return use_cases.importer


async def test_add_and_remove_announce_the_students_classes(
    use_cases: UseCases, db: InMemoryDatabase
) -> None:
    class_id = await _class_id(use_cases)
    ada = (await use_cases.students.create(TEACHER, CreateStudent("Ada", "L", "a@x.se"))).student
    roster = use_cases.roster

    assert await roster.add(TEACHER, class_id, ada.id) is True
    assert await roster.add(TEACHER, class_id, ada.id) is False
    page = await roster.roster(TEACHER, class_id, limit=10, offset=0)
    await roster.remove(TEACHER, class_id, ada.id)
    with pytest.raises(StudentNotFoundError):
        await roster.remove(TEACHER, class_id, ada.id)

    assert [student.id for student in page.items] == [ada.id]
    assert [event.class_ids for event in db.payloads(StudentUpdatedV1)] == [[class_id], []]


async def test_roster_changes_need_the_owners_class_and_student(
    use_cases: UseCases,
) -> None:
    mine = await _class_id(use_cases)
    theirs = await _class_id(use_cases, OTHER_TEACHER)
    students = use_cases.students
    their_student = (
        await students.create(OTHER_TEACHER, CreateStudent("X", "Y", "x@x.se"))
    ).student
    my_student = (await students.create(TEACHER, CreateStudent("A", "B", "a@x.se"))).student
    roster = use_cases.roster

    with pytest.raises(ClassNotFoundError):
        await roster.add(TEACHER, theirs, my_student.id)
    with pytest.raises(StudentNotFoundError):
        await roster.add(TEACHER, mine, their_student.id)
    with pytest.raises(ClassNotFoundError):
        await roster.roster(TEACHER, theirs, limit=10, offset=0)


async def test_import_reports_each_row_and_emits_one_event_per_change(
    importer: RosterImportHandler,
    use_cases: UseCases,
    clock: ManualClock,
    db: InMemoryDatabase,
    notifier: FakeNotifier,
) -> None:
    class_id = await _class_id(use_cases)
    other_class = await _class_id(use_cases)
    linus = await use_cases.students.create(
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
    assert (
        report.rows[2].reason
        == "email is not a valid address: An email address must have an @-sign."
    )
    assert report.rows[3].student_id == linus.student.id
    new_events = [pending.envelope.data for pending in db.outbox[events_before:]]
    assert [type(event) for event in new_events] == [StudentCreatedV1] * 2 + [StudentUpdatedV1]
    assert new_events[2].class_ids == [other_class, class_id]
    async with use_cases.uow.read_only() as uow:
        assert len(await uow.memberships.member_ids(class_id)) == 3
    assert notifier.sent[-1].data["created"] == 2


async def test_importing_the_same_file_twice_changes_nothing(
    importer: RosterImportHandler, use_cases: UseCases, db: InMemoryDatabase
) -> None:
    class_id = await _class_id(use_cases)
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
    importer: RosterImportHandler, use_cases: UseCases, db: InMemoryDatabase
) -> None:
    theirs = await _class_id(use_cases, OTHER_TEACHER)
    mine = await _class_id(use_cases)
    with pytest.raises(ClassNotFoundError):
        await importer.import_csv(TEACHER, theirs, CSV)
    with pytest.raises(InvalidInputError):
        await importer.import_csv(TEACHER, mine, b"name,mail\nx,y\n")
    assert db.students == {}


async def test_the_event_loop_keeps_running_while_a_large_workbook_is_read(
    importer: RosterImportHandler, use_cases: UseCases
) -> None:
    class_id = await _class_id(use_cases)
    students = [(f"Elev{n}", "Öberg", f"elev{n}@skola.se") for n in range(3000)]
    workbook = roster_files.xlsx_bytes([("Förnamn", "Efternamn", "E-post"), *students])
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    report = await replace(importer, max_rows=5000).import_csv(TEACHER, class_id, workbook)
    ticker.cancel()

    assert report.count(RowStatus.CREATED) == 3000
    # Read on the loop, the ~1 s parse lets the ticker run at most once; off it, dozens of times.
    assert ticks >= 5
