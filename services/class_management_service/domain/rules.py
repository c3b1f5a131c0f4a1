"""Small business rules with no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence
from uuid import UUID

from services.class_management_service.domain.errors import InvalidInputError, MultipleCourseError

SYSTEM_EMAIL_DOMAIN = "huleedu.system"
MAX_EMAIL_LENGTH = 254
# Pragmatic, not RFC 5322: one @, no spaces, a dotted domain of letters, digits and hyphens.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def email_problem(raw: str) -> str | None:
    """Why `raw` is not an acceptable student email, or None."""
    email = raw.strip().lower()
    if not email:
        return "email is empty"
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        return "email is not a valid address"
    if email.endswith("@" + SYSTEM_EMAIL_DOMAIN):
        return f"the domain {SYSTEM_EMAIL_DOMAIN} is reserved"
    return None


def normalise_email(raw: str) -> str:
    problem = email_problem(raw)
    if problem is not None:
        raise InvalidInputError(problem, field="email")
    return raw.strip().lower()


def single_course_code(course_codes: Sequence[str]) -> str:
    distinct = list(dict.fromkeys(code.strip().upper() for code in course_codes))
    if not distinct:
        raise InvalidInputError("A class needs a course code", field="course_codes")
    if len(distinct) > 1:
        raise MultipleCourseError(distinct)
    return distinct[0]


def unknown_student_email(class_id: UUID) -> str:
    return f"unknown.{class_id}@{SYSTEM_EMAIL_DOMAIN}"
