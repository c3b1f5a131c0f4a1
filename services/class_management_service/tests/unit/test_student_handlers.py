from uuid import uuid4

import pytest

from common_core.events.class_management import (
    StudentCreatedV1,
    StudentDeletedV1,
    StudentUpdatedV1,
)
from common_core.events.envelope import deterministic_event_id
from services.class_management_service.domain.commands import (
    CreateClass,
    CreateStudent,
    UpdateStudent,
)
from services.class_management_service.domain.errors import (
    ClassNotFoundError,
    ConflictError,
    DuplicateStudentError,
    InvalidInputError,
    StudentNotFoundError,
)
from services.class_management_service.handlers.classes import ClassHandlers
from services.class_management_service.handlers.students import StudentHandlers
from services.class_management_service.tests.fakes import (
    InMemoryDatabase,
    ManualClock,
    pending_association,
)
from services.class_management_service.tests.unit.conftest import OTHER_TEACHER, TEACHER
from services.class_management_service.tests.wiring import UseCases


@pytest.fixture
def students(use_cases: UseCases) -> StudentHandlers:
    return use_cases.students


@pytest.fixture
def classes(use_cases: UseCases) -> ClassHandlers:
    return use_cases.classes


async def test_create_with_classes_stores_student_memberships_and_event(
    students: StudentHandlers, classes: ClassHandlers, db: InMemoryDatabase
) -> None:
    class_id = (await classes.create(TEACHER, CreateClass("9A", ["ENG5"]))).school_class.id

    details = await students.create(
        TEACHER, CreateStudent("Ada", "Lovelace", " ADA@School.se ", [class_id, class_id])
    )

    student_id = details.student.id
    assert db.students[student_id].email == "ada@school.se"
    assert list(db.memberships) == [(class_id, student_id)]
    [event] = [p for p in db.outbox if isinstance(p.envelope.data, StudentCreatedV1)]
    assert event.envelope.data.class_ids == [class_id]
    assert event.envelope.event_id == deterministic_event_id(
        "class_management.student_created", str(student_id)
    )


async def test_duplicate_email_names_the_existing_student(
    students: StudentHandlers, db: InMemoryDatabase
) -> None:
    first = await students.create(TEACHER, CreateStudent("Ada", "L", "ada@x.se"))
    outbox_before = list(db.outbox)

    with pytest.raises(DuplicateStudentError) as refused:
        await students.create(TEACHER, CreateStudent("Other", "Ada", "Ada@X.se"))

    assert refused.value.details["existing_student_id"] == str(first.student.id)
    assert db.outbox == outbox_before
    other_teacher = await students.create(OTHER_TEACHER, CreateStudent("Ada", "L", "ada@x.se"))
    assert other_teacher.student.id != first.student.id


async def test_a_foreign_class_id_stores_nothing(
    students: StudentHandlers, classes: ClassHandlers, db: InMemoryDatabase
) -> None:
    theirs = (await classes.create(OTHER_TEACHER, CreateClass("x", ["SV1"]))).school_class.id
    with pytest.raises(ClassNotFoundError):
        await students.create(TEACHER, CreateStudent("Ada", "L", "ada@x.se", [theirs]))
    with pytest.raises(ClassNotFoundError):
        await students.create(TEACHER, CreateStudent("Ada", "L", "ada@x.se", [uuid4()]))
    assert db.students == {}


async def test_update_changes_only_given_fields_and_refuses_a_taken_email(
    students: StudentHandlers, db: InMemoryDatabase
) -> None:
    ada = await students.create(TEACHER, CreateStudent("Ada", "Lovelace", "ada@x.se"))
    grace = await students.create(TEACHER, CreateStudent("Grace", "Hopper", "grace@x.se"))

    updated = await students.update(TEACHER, ada.student.id, UpdateStudent(first_name="Augusta"))
    with pytest.raises(DuplicateStudentError) as refused:
        await students.update(TEACHER, ada.student.id, UpdateStudent(email="GRACE@x.se"))
    with pytest.raises(InvalidInputError):
        await students.update(TEACHER, ada.student.id, UpdateStudent())

    assert (updated.student.first_name, updated.student.last_name) == ("Augusta", "Lovelace")
    assert refused.value.details["existing_student_id"] == str(grace.student.id)
    assert db.students[ada.student.id].email == "ada@x.se"
    assert [event.first_name for event in db.payloads(StudentUpdatedV1)] == ["Augusta"]


async def test_another_teachers_student_does_not_exist_for_you(students: StudentHandlers) -> None:
    ada = await students.create(TEACHER, CreateStudent("Ada", "L", "ada@x.se"))
    for attempt in (
        students.get(OTHER_TEACHER, ada.student.id),
        students.update(OTHER_TEACHER, ada.student.id, UpdateStudent(first_name="x")),
        students.delete(OTHER_TEACHER, ada.student.id),
    ):
        with pytest.raises(StudentNotFoundError):
            await attempt


async def test_delete_removes_memberships_but_never_a_student_linked_to_essays(
    students: StudentHandlers,
    classes: ClassHandlers,
    clock: ManualClock,
    db: InMemoryDatabase,
) -> None:
    class_id = (await classes.create(TEACHER, CreateClass("9A", ["ENG5"]))).school_class.id
    free = await students.create(TEACHER, CreateStudent("Ada", "L", "ada@x.se", [class_id]))
    linked = await students.create(TEACHER, CreateStudent("Bo", "L", "bo@x.se", [class_id]))
    association = pending_association(
        uuid4(), class_id, uuid4(), clock.now(), suggested=linked.student.id, confidence=0.9
    )
    db.associations[association.id] = association

    await students.delete(TEACHER, free.student.id)
    with pytest.raises(ConflictError):
        await students.delete(TEACHER, linked.student.id)

    assert set(db.students) == {linked.student.id}
    assert list(db.memberships) == [(class_id, linked.student.id)]
    assert db.payloads(StudentDeletedV1) == [
        StudentDeletedV1(student_id=free.student.id, owner_user_id=TEACHER)
    ]
