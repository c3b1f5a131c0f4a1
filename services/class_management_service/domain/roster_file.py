"""Reading a roster: a header row naming first name, last name and email (English or Swedish, any
order, any case), then one student per row. The file is CSV (comma, semicolon or tab) or .xlsx."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from services.class_management_service.domain.errors import InvalidInputError
from services.class_management_service.domain.roster_source import (
    DELIMITERS,
    RowCells,
    WorkbookLimits,
    csv_rows,
    decode_roster_text,
    is_workbook,
    separator_hint,
    workbook_rows,
)
from services.class_management_service.domain.rules import canonical_email, email_problem

REQUIRED_COLUMNS = ("first_name", "last_name", "email")
# Header names as exports write them; matched without case, spaces, hyphens, dots or underscores.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "First name", "Given name", "Forename", "Förnamn"),
    "last_name": ("last_name", "Last name", "Surname", "Family name", "Efternamn"),
    "email": (
        "email",
        "E-mail",
        "Email address",
        "Mail",
        "E-post",
        "E-postadress",
        "Epost",
        "Mejl",
        "Mejladress",
    ),
}
# A title line or two ("Klasslista 9A") may stand above the header.
HEADER_SEARCH_ROWS = 10
MAX_NAME_LENGTH = 255
_IGNORED_IN_HEADER = re.compile(r"[\s\-_.]+")


def _key(name: str) -> str:
    return _IGNORED_IN_HEADER.sub("", unicodedata.normalize("NFC", name).casefold())


_COLUMN_OF = {_key(name): column for column, names in HEADER_NAMES.items() for name in names}


@dataclass(frozen=True)
class RosterLine:
    row: int  # the file's line (CSV) or sheet row (.xlsx); the header is usually 1
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


def parse_roster(data: bytes, max_rows: int, limits: WorkbookLimits | None = None) -> ParsedRoster:
    if is_workbook(data):
        return _parse(workbook_rows(data, limits or WorkbookLimits()), max_rows)
    hinted, text = separator_hint(decode_roster_text(data))
    return _parse(csv_rows(text, hinted or detect_delimiter(text)), max_rows)


def detect_delimiter(text: str) -> str:
    """The delimiter that makes the first rows name the most required columns (the header
    decides; a tie goes to the earlier of comma, semicolon, tab)."""
    return max(DELIMITERS, key=lambda delimiter: _recognised_count(text, delimiter))


def _recognised_count(text: str, delimiter: str) -> int:
    best = 0
    try:
        for row in islice(csv_rows(text, delimiter), HEADER_SEARCH_ROWS):
            best = max(best, len({_COLUMN_OF.get(_key(cell)) for cell in row.cells} - {None}))
    except InvalidInputError:
        pass  # unreadable with this delimiter: the rows read so far count
    return best


def last_line(max_rows: int) -> int:
    """Blank lines and rows are skipped, but not without end: a sheet with one cell in row
    1,000,000 reads as a million empty rows."""
    return 2 * max_rows + HEADER_SEARCH_ROWS


def _parse(rows: Iterable[RowCells], max_rows: int) -> ParsedRoster:
    remaining = iter(rows)
    columns = _header(remaining)
    lines: list[RosterLine] = []
    rejected: list[RejectedLine] = []
    first_row_of: dict[str, int] = {}
    for line in remaining:
        if line.row > last_line(max_rows):
            raise InvalidInputError(
                f"The file goes on past row {last_line(max_rows)} (row {line.row})",
                max_row=last_line(max_rows),
                row=line.row,
            )
        if not any(cell.strip() for cell in line.cells):
            continue
        if len(lines) + len(rejected) >= max_rows:
            raise InvalidInputError(
                f"The file has more than {max_rows} rows (row {line.row})",
                max_rows=max_rows,
                row=line.row,
            )
        outcome = _read_line(line, columns, first_row_of)
        if isinstance(outcome, RosterLine):
            lines.append(outcome)
        else:
            rejected.append(outcome)
    if not lines and not rejected:
        raise InvalidInputError("The file has a header but no students")
    return ParsedRoster(lines, rejected)


def _header(rows: Iterator[RowCells]) -> dict[str, int]:
    """Column positions from the first row naming every required column."""
    best: tuple[RowCells, dict[str, int]] | None = None
    seen = 0
    for row in rows:
        if not any(cell.strip() for cell in row.cells):
            continue
        columns = _columns(row)
        if len(columns) == len(REQUIRED_COLUMNS):
            return columns
        if best is None or len(columns) > len(best[1]):
            best = (row, columns)
        seen += 1
        if seen == HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise InvalidInputError("The file is empty")
    raise _missing_columns(*best)


def _columns(row: RowCells) -> dict[str, int]:
    positions: dict[str, int] = {}
    for position, cell in enumerate(row.cells):
        column = _COLUMN_OF.get(_key(cell))
        if column is None:
            continue
        if column in positions:
            first = positions[column]
            raise InvalidInputError(
                f"Row {row.row}: columns {first + 1} ({row.cells[first].strip()!r}) and "
                f"{position + 1} ({cell.strip()!r}) both name {column}",
                row=row.row,
                columns=[first + 1, position + 1],
                field=column,
            )
        positions[column] = position
    return positions


def _missing_columns(row: RowCells, columns: dict[str, int]) -> InvalidInputError:
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    return InvalidInputError(
        "No header row names every required column; missing: " + ", ".join(missing),
        missing=missing,
        required=list(REQUIRED_COLUMNS),
        accepted_names={column: list(HEADER_NAMES[column]) for column in missing},
        closest_header_row=row.row,
    )


def _read_line(
    line: RowCells, columns: dict[str, int], first_row_of: dict[str, int]
) -> RosterLine | RejectedLine:
    values = {name: _cell(line.cells, position) for name, position in columns.items()}
    email = canonical_email(values["email"])
    problem = _name_problem(values) or email_problem(email)
    if problem is None and email in first_row_of:
        problem = f"same email as row {first_row_of[email]}"
    if problem is not None:
        return RejectedLine(line.row, email or None, problem)
    first_row_of[email] = line.row
    return RosterLine(line.row, values["first_name"], values["last_name"], email)


def _cell(cells: list[str], position: int) -> str:
    value = cells[position] if position < len(cells) else ""
    return unicodedata.normalize("NFC", value.strip())


def _name_problem(values: dict[str, str]) -> str | None:
    for name in ("first_name", "last_name"):
        if not values[name]:
            return f"{name} is empty"
        if len(values[name]) > MAX_NAME_LENGTH:
            return f"{name} is longer than {MAX_NAME_LENGTH} characters"
    return None
