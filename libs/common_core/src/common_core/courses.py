"""Courses are reference data: a code fixes language, level and default grade scale."""

from dataclasses import dataclass
from enum import StrEnum

from common_core.grade_scales import GradeScaleId


class Language(StrEnum):
    ENGLISH = "en"
    SWEDISH = "sv"


class CourseCode(StrEnum):
    ENG5 = "ENG5"
    ENG6 = "ENG6"
    ENG7 = "ENG7"
    SV1 = "SV1"
    SV2 = "SV2"
    SV3 = "SV3"

    @property
    def language(self) -> Language:
        return _COURSES[self].language

    @property
    def level(self) -> int:
        return _COURSES[self].level

    @property
    def display_name(self) -> str:
        return _COURSES[self].display_name

    @property
    def default_grade_scale(self) -> GradeScaleId:
        return _COURSES[self].default_grade_scale


@dataclass(frozen=True)
class CourseInfo:
    language: Language
    level: int
    display_name: str
    default_grade_scale: GradeScaleId = GradeScaleId.SWEDISH_A_F


_COURSES: dict[CourseCode, CourseInfo] = {
    CourseCode.ENG5: CourseInfo(Language.ENGLISH, 5, "English 5"),
    CourseCode.ENG6: CourseInfo(Language.ENGLISH, 6, "English 6"),
    CourseCode.ENG7: CourseInfo(Language.ENGLISH, 7, "English 7"),
    CourseCode.SV1: CourseInfo(Language.SWEDISH, 1, "Svenska 1"),
    CourseCode.SV2: CourseInfo(Language.SWEDISH, 2, "Svenska 2"),
    CourseCode.SV3: CourseInfo(Language.SWEDISH, 3, "Svenska 3"),
}


def courses_for_language(language: Language) -> list[CourseCode]:
    return [code for code in CourseCode if code.language is language]
