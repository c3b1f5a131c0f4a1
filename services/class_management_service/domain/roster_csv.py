"""Reading a roster CSV (first_name, last_name, email; header row; UTF-8 with or without BOM)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.class_management_service.domain.errors import InvalidInputError
from services.class_management_service.domain.rules import email_problem

if TYPE_CHECKING:
    from _csv import Reader

REQUIRED_COLUMNS = ("first_name", "last_name", "email")
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class RosterLine:
    row: int  # the file's line number, header = 1
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class RejectedLine:
    row: int
    email: str | None
    reason: str


@dataclass(frozen=True)
class ParsedRoster:
    lines: list[RosterLine]
    rejected: list[RejectedLine]


def parse_roster(data: bytes, max_rows: int) -> ParsedRoster:
    try:
        return _parse(csv.reader(io.StringIO(_decode(data), newline="")), max_rows)
    except csv.Error as error:
        raise InvalidInputError(f"The file is not readable CSV: {error}") from None


def _parse(reader: Reader, max_rows: int) -> ParsedRoster:
    columns = _column_positions(next(reader, None))
    lines: list[RosterLine] = []
    rejected: list[RejectedLine] = []
    first_row_of: dict[str, int] = {}
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(lines) + len(rejected) >= max_rows:
            raise InvalidInputError(f"The file has more than {max_rows} rows", max_rows=max_rows)
        outcome = _read_line(reader.line_num, cells, columns, first_row_of)
        if isinstance(outcome, RosterLine):
            lines.append(outcome)
        else:
            rejected.append(outcome)
    if not lines and not rejected:
        raise InvalidInputError("The file has a header but no students")
    return ParsedRoster(lines, rejected)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInputError("The file is not UTF-8 text", byte_offset=error.start) from None


def _column_positions(header: list[str] | None) -> dict[str, int]:
    if header is None:
        raise InvalidInputError("The file is empty")
    names = [cell.strip().lower().replace(" ", "_") for cell in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise InvalidInputError(
            "The header row lacks required columns", missing=missing, required=REQUIRED_COLUMNS
        )
    return {column: names.index(column) for column in REQUIRED_COLUMNS}


def _read_line(
    row: int, cells: list[str], columns: dict[str, int], first_row_of: dict[str, int]
) -> RosterLine | RejectedLine:
    values = {name: _cell(cells, position) for name, position in columns.items()}
    email = values["email"].lower()
    problem = _problem(values) or email_problem(email)
    if problem is None and email in first_row_of:
        problem = f"same email as row {first_row_of[email]}"
    if problem is not None:
        return RejectedLine(row, email or None, problem)
    first_row_of[email] = row
    return RosterLine(row, values["first_name"], values["last_name"], email)


def _cell(cells: list[str], position: int) -> str:
    return cells[position].strip() if position < len(cells) else ""


def _problem(values: dict[str, str]) -> str | None:
    for name in ("first_name", "last_name"):
        if not values[name]:
            return f"{name} is empty"
        if len(values[name]) > MAX_NAME_LENGTH:
            return f"{name} is longer than {MAX_NAME_LENGTH} characters"
    return None
