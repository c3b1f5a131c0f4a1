"""Grade scales with their grades ordered from lowest to highest."""

from dataclasses import dataclass
from enum import StrEnum


class GradeScaleId(StrEnum):
    SWEDISH_A_F = "swedish_a_f"
    ENGLISH_NATIONAL_1_9 = "english_national_1_9"


@dataclass(frozen=True)
class GradeScale:
    id: GradeScaleId
    name: str
    grades: tuple[str, ...]
    lowest_passing: str

    def rank(self, grade: str) -> int:
        """Zero-based position of `grade`, lowest first; ValueError for a grade not on the scale."""
        if grade not in self.grades:
            raise ValueError(f"{grade!r} is not a grade of {self.id}")
        return self.grades.index(grade)

    def is_passing(self, grade: str) -> bool:
        return self.rank(grade) >= self.rank(self.lowest_passing)

    def sort(self, grades: list[str]) -> list[str]:
        return sorted(grades, key=self.rank)


_SCALES: dict[GradeScaleId, GradeScale] = {
    GradeScaleId.SWEDISH_A_F: GradeScale(
        id=GradeScaleId.SWEDISH_A_F,
        name="Swedish national grades A-F",
        grades=("F", "E", "D", "C", "B", "A"),
        lowest_passing="E",
    ),
    GradeScaleId.ENGLISH_NATIONAL_1_9: GradeScale(
        id=GradeScaleId.ENGLISH_NATIONAL_1_9,
        name="English national grades 1-9",
        grades=("1", "2", "3", "4", "5", "6", "7", "8", "9"),
        lowest_passing="4",
    ),
}


def grade_scale(scale_id: GradeScaleId) -> GradeScale:
    return _SCALES[scale_id]
