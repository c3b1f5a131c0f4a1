import pytest

from common_core.courses import CourseCode, Language, courses_for_language
from common_core.domain_enums import (
    AssociationStatus,
    CJBatchState,
    FileFormat,
    ValidationMethod,
)
from common_core.grade_scales import GradeScaleId, grade_scale


@pytest.mark.parametrize(
    ("course", "language", "level"),
    [
        (CourseCode.ENG5, Language.ENGLISH, 5),
        (CourseCode.ENG6, Language.ENGLISH, 6),
        (CourseCode.ENG7, Language.ENGLISH, 7),
        (CourseCode.SV1, Language.SWEDISH, 1),
        (CourseCode.SV2, Language.SWEDISH, 2),
        (CourseCode.SV3, Language.SWEDISH, 3),
    ],
)
def test_course_code_knows_its_language_and_level(
    course: CourseCode, language: Language, level: int
) -> None:
    assert (course.language, course.level) == (language, level)


def test_courses_by_language_cover_every_course_once() -> None:
    english = courses_for_language(Language.ENGLISH)
    swedish = courses_for_language(Language.SWEDISH)

    assert english == [CourseCode.ENG5, CourseCode.ENG6, CourseCode.ENG7]
    assert sorted(english + swedish) == sorted(CourseCode)


@pytest.mark.parametrize("course", list(CourseCode), ids=str)
def test_every_course_has_a_name_and_an_existing_default_scale(course: CourseCode) -> None:
    assert str(course.level) in course.display_name
    assert grade_scale(course.default_grade_scale).id is course.default_grade_scale


def test_swedish_scale_runs_from_f_to_a() -> None:
    scale = grade_scale(GradeScaleId.SWEDISH_A_F)

    assert scale.grades == ("F", "E", "D", "C", "B", "A")
    assert scale.sort(["A", "F", "C"]) == ["F", "C", "A"]
    assert not scale.is_passing("F")
    assert scale.is_passing("E")


def test_english_national_scale_runs_from_1_to_9() -> None:
    scale = grade_scale(GradeScaleId.ENGLISH_NATIONAL_1_9)

    assert scale.grades == tuple(str(grade) for grade in range(1, 10))
    assert scale.rank("9") > scale.rank("4") > scale.rank("1")


@pytest.mark.parametrize("scale_id", list(GradeScaleId), ids=str)
def test_grades_of_every_scale_are_distinct(scale_id: GradeScaleId) -> None:
    scale = grade_scale(scale_id)

    assert len(set(scale.grades)) == len(scale.grades) >= 2
    assert scale.lowest_passing in scale.grades


def test_a_grade_from_another_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="not a grade"):
        grade_scale(GradeScaleId.SWEDISH_A_F).rank("7")


def test_association_vocabulary_matches_the_stored_values() -> None:
    assert {status.value for status in AssociationStatus} == {
        "pending_validation",
        "confirmed",
        "rejected",
        "timeout_confirmed",
    }
    assert {method.value for method in ValidationMethod} == {"human", "timeout", "auto"}
    assert [s for s in AssociationStatus if not s.is_resolved] == [
        AssociationStatus.PENDING_VALIDATION
    ]


def test_only_completed_failed_and_cancelled_batches_are_terminal() -> None:
    terminal = {state for state in CJBatchState if state.is_terminal}

    assert terminal == {CJBatchState.COMPLETED, CJBatchState.FAILED, CJBatchState.CANCELLED}


@pytest.mark.parametrize("file_format", list(FileFormat), ids=str)
def test_every_file_format_has_a_mime_type(file_format: FileFormat) -> None:
    assert "/" in file_format.mime_type
