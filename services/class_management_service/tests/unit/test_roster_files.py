"""Real roster exports: delimiters, encodings, Swedish and English headers, Unicode addresses,
.xlsx workbooks; every refusal names the row or column."""

from __future__ import annotations

import codecs
import unicodedata

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from services.class_management_service.domain import rules
from services.class_management_service.domain.errors import InvalidInputError
from services.class_management_service.domain.roster_file import ParsedRoster, parse_roster
from services.class_management_service.domain.roster_source import WorkbookLimits
from services.class_management_service.domain.rules import email_problem, normalise_email
from services.class_management_service.tests import roster_files as files

EXPECTED = [
    (2, "Åsa", "Öberg", "åsa.öberg@skola.se"),
    (3, "Örjan", "Ängström", "orjan.angstrom@skola.se"),
    (4, "Märta", "Söderlund; Nilsson", "marta@skola.se"),
]


def _lines(parsed: ParsedRoster) -> list[tuple[int, str, str, str]]:
    assert parsed.rejected == []
    return [(line.row, line.first_name, line.last_name, line.email) for line in parsed.lines]


def _refusal(data: bytes, limits: WorkbookLimits | None = None) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as refused:
        parse_roster(data, max_rows=100, limits=limits)
    return refused.value


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_every_delimiter_and_encoding_of_a_swedish_export_is_read(
    delimiter: str, encoding: str
) -> None:
    data = files.swedish_export(delimiter, encoding)
    if encoding == "utf-16":
        assert data.startswith(codecs.BOM_UTF16_LE)  # as Excel's "Unicode text" writes it
    assert _lines(parse_roster(data, max_rows=100)) == EXPECTED


@pytest.mark.parametrize(
    "header",
    [
        ("First Name", "Last Name", "E-mail"),
        ("Given name", "Surname", "Email address"),
        ("forename", "family_name", "MAIL"),
        ("FÖRNAMN", "EFTERNAMN", "E-postadress"),
        ("Förnamn", "Efternamn", "Mejl"),
        ("first_name", "last_name", "email"),
    ],
)
def test_english_and_swedish_header_names_in_any_case(header: tuple[str, str, str]) -> None:
    rows = [header, *(student[:3] for student in files.SWEDISH_STUDENTS)]
    assert _lines(parse_roster(files.csv_bytes(rows, ";"), max_rows=100)) == EXPECTED


def test_a_decomposed_header_and_names_from_a_mac_export_are_composed() -> None:
    rows = [
        [unicodedata.normalize("NFD", name) for name in files.SWEDISH_HEADER],
        *([unicodedata.normalize("NFD", cell) for cell in s] for s in files.SWEDISH_STUDENTS),
    ]
    assert _lines(parse_roster(files.csv_bytes(rows), max_rows=100)) == EXPECTED


def test_excels_separator_line_and_a_title_row_above_the_header() -> None:
    body = files.swedish_export(";", "cp1252")
    data = b"sep=;\r\nKlasslista 9A;;;;\r\n" + body
    parsed = parse_roster(data, max_rows=100)
    assert _lines(parsed) == [(row + 2, *rest) for row, *rest in EXPECTED]


def test_internationalised_addresses_are_valid_and_stored_lower_case_composed() -> None:
    assert email_problem("åsa.öberg@skola.se") is None
    assert normalise_email(" Åsa.Öberg@Skola.SE ") == "åsa.öberg@skola.se"
    assert normalise_email(unicodedata.normalize("NFD", "åsa@skola.se")) == "åsa@skola.se"
    assert normalise_email("elev@sköla.se") == "elev@sköla.se"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("åsa@skola", "It should have a period"),
        ("elev@skola.local", "special-use or reserved"),
        ('"quoted"@skola.se', "Quoting"),
        ("å sa@skola.se", "SPACE"),
    ],
)
def test_the_reason_an_address_is_refused_is_given(raw: str, why: str) -> None:
    problem = email_problem(raw)
    assert problem is not None
    assert problem.startswith("email is not a valid address: ")
    assert why in problem


def test_a_header_naming_a_column_twice_is_refused_naming_both_columns() -> None:
    data = files.csv_bytes([("Förnamn", "Efternamn", "E-post", "Email"), ("A", "B", "a@x.se", "")])
    refusal = _refusal(data)
    assert refusal.details == {"row": 1, "columns": [3, 4], "field": "email"}
    assert "'E-post'" in refusal.message
    assert "'Email'" in refusal.message


def test_a_missing_column_is_named_with_the_names_accepted_for_it() -> None:
    refusal = _refusal(files.csv_bytes([("Förnamn", "Efternamn", "Telefon"), ("A", "B", "1")], ";"))
    assert refusal.details["missing"] == ["email"]
    assert "E-post" in refusal.details["accepted_names"]["email"]
    assert refusal.details["closest_header_row"] == 1


def test_a_control_character_in_a_windows_1252_file_is_refused_naming_the_row() -> None:
    rows = [files.SWEDISH_HEADER, files.SWEDISH_STUDENTS[0], ("Ada\x07", "L", "a@x.se", "", "")]
    refusal = _refusal(files.csv_bytes(rows, ";", "cp1252"))
    assert refusal.details == {"row": 3, "character": "U+0007"}


def test_an_xlsx_workbook_is_read_from_its_first_sheet() -> None:
    students: list[list[files.Cell]] = [
        [*student[:3], 201003121234, "9A"] for student in files.SWEDISH_STUDENTS
    ]
    rows: list[list[files.Cell]] = [
        ["Klasslista 9A"],
        [],
        list(files.SWEDISH_HEADER),
        *students,
        [None, None, None],
        ["Ada", "Lovelace", "ADA@X.SE", 3.0, None],
    ]
    parsed = parse_roster(files.xlsx_bytes(rows), max_rows=100)
    expected = [(row + 2, *rest) for row, *rest in EXPECTED]
    assert _lines(parsed) == [*expected, (8, "Ada", "Lovelace", "ada@x.se")]


def test_xlsx_rows_are_judged_one_by_one_with_sheet_row_numbers() -> None:
    rows: list[list[files.Cell]] = [
        ["First name", "Last name", "Email"],
        ["Ada", "Lovelace", "not an address"],
        [None, "Hopper", "grace@x.se"],
        ["Alan", "Turing", "alan@x.se"],
    ]
    parsed = parse_roster(files.xlsx_bytes(rows), max_rows=100)
    assert [(line.row, line.email) for line in parsed.lines] == [(4, "alan@x.se")]
    assert [(item.row, item.reason.split(":")[0]) for item in parsed.rejected] == [
        (2, "email is not a valid address"),
        (3, "first_name is empty"),
    ]


def test_a_workbook_that_inflates_beyond_the_bound_is_refused_before_it_is_read() -> None:
    limits = WorkbookLimits(max_uncompressed_bytes=1_000_000)
    refusal = _refusal(files.inflating_xlsx_bytes(2_000_000), limits)
    assert refusal.details["max_decompressed_bytes"] == 1_000_000
    assert refusal.details["decompressed_bytes"] > 2_000_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (files.zip_bytes({"word/document.xml": b"<w:document/>"}), "not an .xlsx workbook"),
        (files.zip_bytes({"xl/workbook.xml": b"<not a workbook"}), "not a readable .xlsx"),
        (b"PK\x03\x04" + b"\x00" * 100, "damaged zip archive"),
    ],
    ids=["other-zip", "broken-workbook", "damaged-zip"],
)
def test_zips_that_are_not_readable_workbooks_are_refused(data: bytes, message: str) -> None:
    assert message in _refusal(data).message


def _validator_verdict(raw: str) -> str | None:
    """email-validator on every address, no shortcut: what `email_problem` must agree with."""
    email = rules.canonical_email(raw)
    if not email or len(email) > rules.MAX_EMAIL_LENGTH:
        return email_problem(raw)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return f"email is not a valid address: {error}"
    return email_problem(raw) if email.endswith("@huleedu.system") else None


_LOCAL_CHARACTERS = st.sampled_from([*"abzAZ09._-+!#'`{|}~\"@ åÖü(),;:\\", "..", "ß"])
_DOMAINS = st.sampled_from(
    [
        "skola.se",
        "Skola.SE",
        "sköla.se",
        "x",
        "-x.se",
        "x-.se",
        "x..se",
        ".se",
        "skola.local",
        "skola.test",
        "huleedu.system",
        "123.45",
        "a.b.c.d",
        "xn--skla-pra.se",
        "",
        "x" * 70 + ".se",
        "s_k.se",
        "[127.0.0.1]",
    ]
)


@settings(max_examples=400, deadline=None)
@given(local=st.lists(_LOCAL_CHARACTERS, max_size=12).map("".join), domain=_DOMAINS)
def test_the_shortcut_for_shared_domains_agrees_with_email_validator(
    local: str, domain: str
) -> None:
    raw = f"{local}@{domain}"
    assert email_problem(raw) == _validator_verdict(raw)


def test_a_sheet_that_goes_on_past_the_last_readable_row_is_refused() -> None:
    workbook = files.xlsx_bytes(
        [files.SWEDISH_HEADER, files.SWEDISH_STUDENTS[0], *[[]] * 30, ["x", "y", "z@x.se"]]
    )
    with pytest.raises(InvalidInputError) as refused:
        parse_roster(workbook, max_rows=10)
    assert refused.value.details == {"max_row": 30, "row": 31}  # the first row past, blank too
