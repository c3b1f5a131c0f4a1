"""What a judge is asked and what it answers; the judge never learns which essay is an anchor."""

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from common_core.courses import CourseCode, Language


class Position(StrEnum):
    A = "A"
    B = "B"


@dataclass(frozen=True)
class JudgeOptions:
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True)
class JudgeTask:
    comparison_id: UUID
    essay_a: str
    essay_b: str
    course_code: CourseCode
    language: Language
    options: JudgeOptions = JudgeOptions()


@dataclass(frozen=True)
class JudgeVerdict:
    winner: Position
    confidence: float  # 0..1
    justification: str
    # Which judge answered: "llm:<model>;prompt=<PROMPT_VERSION>" or "simulated:seed=0".
    judge: str


class JudgeFailure(Exception):
    """The comparison got no usable answer. Never read as a win for either essay."""


class JudgeAnswerInvalid(JudgeFailure):
    """An answer came back but is unusable: unparseable, off-schema, truncated or refused."""


class JudgeUnavailable(JudgeFailure):
    """No answer: timeouts, rate limits or server errors after retries, or an open circuit."""

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
