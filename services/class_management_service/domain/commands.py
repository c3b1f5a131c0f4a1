"""What callers ask the use cases to do, already shaped by the API or the consumer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID


@dataclass(frozen=True)
class CreateClass:
    name: str
    course_codes: list[str]


@dataclass(frozen=True)
class UpdateClass:
    name: str | None = None
    course_codes: list[str] | None = None


@dataclass(frozen=True)
class CreateStudent:
    first_name: str
    last_name: str
    email: str
    class_ids: list[UUID] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateStudent:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


class ReviewAction(StrEnum):
    ACCEPT = "accept"  # the suggested student
    CHOOSE = "choose"  # another student of the class
    REJECT = "reject"  # none of the roster wrote it


@dataclass(frozen=True)
class EssayDecision:
    essay_id: UUID
    action: ReviewAction
    student_id: UUID | None = None
