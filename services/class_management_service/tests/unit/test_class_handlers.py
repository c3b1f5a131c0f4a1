from uuid import uuid4

import pytest

from common_core.events.class_management import (
    ClassCreatedV1,
    ClassDeletedV1,
    ClassUpdatedV1,
    StudentUpdatedV1,
)
from huleedu_service_libs.correlation import CorrelationContext
from services.class_management_service.domain.commands import (
    CreateClass,
    CreateStudent,
    UpdateClass,
)
from services.class_management_service.domain.errors import (
    ClassNotFoundError,
    ConflictError,
    CourseNotFoundError,
    InvalidInputError,
    MultipleCourseError,
)
from services.class_management_service.handlers.classes import ClassHandlers
from services.class_management_service.tests.fakes import (
    FakeNotifier,
    InMemoryDatabase,
    ManualClock,
    pending_association,
)
from services.class_management_service.tests.unit.conftest import OTHER_TEACHER, TEACHER
from services.class_management_service.tests.wiring import UseCases


@pytest.fixture
def classes(use_cases: UseCases) -> ClassHandlers:
    return use_cases.classes


async def test_create_stores_the_class_and_its_event_together(
    classes: ClassHandlers,
    db: InMemoryDatabase,
    notifier: FakeNotifier,
    correlation: CorrelationContext,
) -> None:
    details = await classes.create(TEACHER, CreateClass("9A", ["eng5"]))

    assert db.classes[details.school_class.id].course_code == "ENG5"
    assert details.course.name == "English 5"
    [pending] = db.outbox
    assert pending.envelope.data == ClassCreatedV1(
        class_id=details.school_class.id, owner_user_id=TEACHER, name="9A", course_code="ENG5"
    )
    assert pending.envelope.correlation_id == correlation.uuid
    assert (pending.aggregate_type, pending.aggregate_id) == ("class", str(details.school_class.id))
    assert notifier.kinds() == ["class_created"]


async def test_several_courses_or_an_unknown_one_store_nothing(
    classes: ClassHandlers, db: InMemoryDatabase
) -> None:
    with pytest.raises(MultipleCourseError):
        await classes.create(TEACHER, CreateClass("9A", ["ENG5", "ENG6"]))
    with pytest.raises(CourseNotFoundError):
        await classes.create(TEACHER, CreateClass("9A", ["MATH1"]))
    assert db.classes == {}
    assert db.outbox == []


async def test_another_teachers_class_does_not_exist_for_you(classes: ClassHandlers) -> None:
    created = await classes.create(TEACHER, CreateClass("9A", ["SV1"]))
    class_id = created.school_class.id

    assert (await classes.get(TEACHER, class_id)).school_class.name == "9A"
    with pytest.raises(ClassNotFoundError):
        await classes.get(OTHER_TEACHER, class_id)
    with pytest.raises(ClassNotFoundError):
        await classes.update(OTHER_TEACHER, class_id, UpdateClass(name="stolen"))
    with pytest.raises(ClassNotFoundError):
        await classes.delete(OTHER_TEACHER, class_id)


async def test_update_publishes_the_new_state_once(
    classes: ClassHandlers, db: InMemoryDatabase, clock: ManualClock
) -> None:
    created = await classes.create(TEACHER, CreateClass("9A", ["ENG5"]))
    clock.advance(minutes=5)

    updated = await classes.update(
        TEACHER, created.school_class.id, UpdateClass(name="9B", course_codes=["ENG6"])
    )
    unchanged = await classes.update(TEACHER, created.school_class.id, UpdateClass(name="9B"))

    assert (updated.school_class.name, updated.course.code) == ("9B", "ENG6")
    assert updated.school_class.updated_at == clock.now()
    assert unchanged == updated
    assert db.payloads(ClassUpdatedV1) == [
        ClassUpdatedV1(
            class_id=created.school_class.id, owner_user_id=TEACHER, name="9B", course_code="ENG6"
        )
    ]


async def test_update_refuses_an_empty_change_and_a_second_course(classes: ClassHandlers) -> None:
    created = await classes.create(TEACHER, CreateClass("9A", ["ENG5"]))
    with pytest.raises(InvalidInputError):
        await classes.update(TEACHER, created.school_class.id, UpdateClass())
    with pytest.raises(MultipleCourseError):
        await classes.update(
            TEACHER, created.school_class.id, UpdateClass(course_codes=["ENG5", "SV2"])
        )


async def test_list_is_the_owners_classes_newest_first_filtered_by_course(
    classes: ClassHandlers, clock: ManualClock
) -> None:
    names = []
    for index, course in enumerate(["ENG5", "SV1", "ENG5", "ENG5"]):
        clock.advance(minutes=1)
        names.append(
            (await classes.create(TEACHER, CreateClass(f"c{index}", [course]))).school_class.name
        )
    await classes.create(OTHER_TEACHER, CreateClass("theirs", ["ENG5"]))

    page = await classes.list_owned(TEACHER, "eng5", limit=2, offset=0)
    rest = await classes.list_owned(TEACHER, "ENG5", limit=2, offset=2)

    assert [item.school_class.name for item in page.items] == ["c3", "c2"]
    assert [item.school_class.name for item in rest.items] == ["c0"]
    assert (page.total, rest.total) == (3, 3)
    with pytest.raises(CourseNotFoundError):
        await classes.list_owned(TEACHER, "NOPE", limit=2, offset=0)


async def test_delete_removes_memberships_and_announces_the_members_new_state(
    classes: ClassHandlers, use_cases: UseCases, db: InMemoryDatabase
) -> None:
    keep = await classes.create(TEACHER, CreateClass("keep", ["ENG5"]))
    gone = await classes.create(TEACHER, CreateClass("gone", ["ENG5"]))
    students = use_cases.students
    both = [keep.school_class.id, gone.school_class.id]
    student = await students.create(TEACHER, CreateStudent("Ada", "L", "ada@x.se", both))

    await classes.delete(TEACHER, gone.school_class.id)

    assert gone.school_class.id not in db.classes
    assert list(db.memberships) == [(keep.school_class.id, student.student.id)]
    assert db.payloads(ClassDeletedV1) == [
        ClassDeletedV1(class_id=gone.school_class.id, owner_user_id=TEACHER)
    ]
    [update] = db.payloads(StudentUpdatedV1)
    assert update.class_ids == [keep.school_class.id]


async def test_a_class_with_essay_associations_is_not_deleted(
    classes: ClassHandlers, db: InMemoryDatabase, clock: ManualClock
) -> None:
    created = await classes.create(TEACHER, CreateClass("9A", ["ENG5"]))
    association = pending_association(uuid4(), created.school_class.id, uuid4(), clock.now())
    db.associations[association.id] = association
    events_before = list(db.outbox)

    with pytest.raises(ConflictError) as refused:
        await classes.delete(TEACHER, created.school_class.id)

    assert refused.value.details["association_count"] == 1
    assert created.school_class.id in db.classes
    assert db.outbox == events_before
