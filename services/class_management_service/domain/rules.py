"""Small business rules with no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from uuid import UUID

from email_validator import EmailNotValidError, validate_email

from services.class_management_service.domain.errors import InvalidInputError, MultipleCourseError

SYSTEM_EMAIL_DOMAIN = "huleedu.system"
MAX_EMAIL_LENGTH = 254
# Short enough that no whole-address length rule applies, whatever the domain's ASCII form.
_SHORT = 100
# RFC 5322 dot-atom of ASCII atext, as email-validator checks an unquoted ASCII local part.
_ASCII_DOT_ATOM = re.compile(
    r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+)*\Z"
)


def canonical_email(raw: str) -> str:
    """Trimmed, composed (NFC: an export's decomposed å is the same letter) and lower-cased."""
    return unicodedata.normalize("NFC", raw.strip()).lower()


def email_problem(raw: str) -> str | None:
    """Why `raw` is not an acceptable student email, or None. The syntax is email-validator's
    (internationalised addresses such as åsa.öberg@skola.se allowed, no quoted local parts, no
    special-use domains such as .local); deliverability is not looked up."""
    email = canonical_email(raw)
    if not email:
        return "email is empty"
    if len(email) > MAX_EMAIL_LENGTH:
        return f"email is longer than {MAX_EMAIL_LENGTH} characters"
    problem = _syntax_problem(email)
    if problem is None and email.endswith("@" + SYSTEM_EMAIL_DOMAIN):
        return f"the domain {SYSTEM_EMAIL_DOMAIN} is reserved"
    return problem


def _syntax_problem(email: str) -> str | None:
    # A roster's addresses share a domain: an ASCII dot-atom local part (what email-validator
    # accepts without further checks) lets the domain's verdict be reused, ten times faster.
    local, _, domain = email.rpartition("@")
    if len(email) <= _SHORT and _ASCII_DOT_ATOM.match(local):
        return _domain_problem(domain)
    return _validator_problem(email)


@lru_cache(maxsize=1024)
def _domain_problem(domain: str) -> str | None:
    return _validator_problem("x@" + domain)


def _validator_problem(email: str) -> str | None:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return f"email is not a valid address: {error}"
    return None


def normalise_email(raw: str) -> str:
    problem = email_problem(raw)
    if problem is not None:
        raise InvalidInputError(problem, field="email")
    return canonical_email(raw)


def single_course_code(course_codes: Sequence[str]) -> str:
    distinct = list(dict.fromkeys(code.strip().upper() for code in course_codes))
    if not distinct:
        raise InvalidInputError("A class needs a course code", field="course_codes")
    if len(distinct) > 1:
        raise MultipleCourseError(distinct)
    return distinct[0]


def unknown_student_email(class_id: UUID) -> str:
    return f"unknown.{class_id}@{SYSTEM_EMAIL_DOMAIN}"
