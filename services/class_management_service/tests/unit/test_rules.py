from uuid import uuid4

import pytest

from services.class_management_service.domain.errors import (
    InvalidInputError,
    MultipleCourseError,
)
from services.class_management_service.domain.roster_file import parse_roster
from services.class_management_service.domain.rules import (
    email_problem,
    normalise_email,
    single_course_code,
    unknown_student_email,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  Ada.Lovelace@School.EDU ", "ada.lovelace@school.edu"), ("a+b@x.se", "a+b@x.se")],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "no-at-sign",
        "two@@x.se",
        "a b@x.se",
        "a@x",
        "a@-x.se",
        "a@x..se",
        "a@" + "x" * 300,
    ],
)
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        normalise_email(raw)
    assert refused.value.details == {"field": "email"}


def test_the_system_domain_is_reserved_for_unknown_students() -> None:
    reserved = unknown_student_email(uuid4())
    assert email_problem(reserved) == "the domain huleedu.system is reserved"


def test_a_class_has_exactly_one_course() -> None:
    assert single_course_code([" eng5 ", "ENG5"]) == "ENG5"
    with pytest.raises(MultipleCourseError) as refused:
        single_course_code(["ENG5", "SV1"])
    assert refused.value.details == {"field": "course_codes", "course_codes": ["ENG5", "SV1"]}
    with pytest.raises(InvalidInputError):
        single_course_code([])


def test_roster_with_bom_and_any_header_case_and_order() -> None:
    data = "\ufeffEmail,First Name,last_name,notes\r\nA@x.se,Ada,Lovelace,hi\n".encode()
    parsed = parse_roster(data, max_rows=10)
    assert [(line.row, line.first_name, line.last_name, line.email) for line in parsed.lines] == [
        (2, "Ada", "Lovelace", "a@x.se")
    ]
    assert parsed.rejected == []


def test_roster_rows_are_judged_one_by_one() -> None:
    data = (
        b"first_name,last_name,email\n"
        b"Ada,Lovelace,ada@x.se\n"
        b",Hopper,grace@x.se\n"
        b"Alan,Turing,not-an-email\n"
        b"\n"
        b"Ada,Again,ADA@x.se\n"
        b"Short,Row\n"
    )
    parsed = parse_roster(data, max_rows=10)
    assert [line.row for line in parsed.lines] == [2]
    assert [(item.row, item.reason.split(":")[0]) for item in parsed.rejected] == [
        (3, "first_name is empty"),
        (4, "email is not a valid address"),
        (6, "same email as row 2"),
        (7, "email is empty"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"first_name,last_name\nAda,Lovelace\n", "No header row names every required column"),
        (b"first_name,last_name,email\n", "The file has a header but no students"),
        (
            b"first_name,last_name,email\n\x81\x8d,x,y\n",  # bytes Windows-1252 leaves undefined
            "Line 2 is neither UTF-8 nor Windows-1252 text",
        ),
        (
            b'first_name,last_name,email\nA,B,"' + b"x" * 200_000 + b'"\n',
            "Line 2 is not readable CSV",
        ),
    ],
)
def test_unreadable_roster_files_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_roster(data, max_rows=10)
    assert refused.value.message.startswith(message)


def test_roster_row_limit() -> None:
    rows = "".join(f"A,B,s{index}@x.se\n" for index in range(3))
    with pytest.raises(InvalidInputError) as refused:
        parse_roster(f"first_name,last_name,email\n{rows}".encode(), max_rows=2)
    assert refused.value.details == {"max_rows": 2, "row": 4}
