"""A roster file's bytes as numbered rows of cells: CSV text in the encodings school systems and
Excel write, or the first sheet of an .xlsx workbook."""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from openpyxl import load_workbook

from services.class_management_service.domain.errors import InvalidInputError

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")
# Excel's hint line ("sep=;") before the header, written by some exports.
_SEPARATOR_HINT = re.compile(r"\Asep=(.)\r?\n")
# Control characters other than tab, line feed and carriage return (as the request guard).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class WorkbookLimits:
    """An .xlsx is a zip: its declared inflated size bounds what reading it may cost."""

    max_uncompressed_bytes: int = 20 * 1024 * 1024
    max_entries: int = 500
    max_columns: int = 200


@dataclass(frozen=True)
class RowCells:
    row: int  # the line (CSV) or sheet row (.xlsx) number, 1-based
    cells: list[str]


def is_workbook(data: bytes) -> bool:
    return data.startswith(XLSX_MAGIC)


def decode_roster_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; otherwise Windows-1252, which is what
    Excel's "CSV" writes on a Swedish or English Windows."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")  # Excel's "Unicode text": tab-separated UTF-16
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(data, "cp1252")


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidInputError(
            f"Line {line} is neither UTF-8 nor Windows-1252 text (byte {error.start})",
            line=line,
            byte_offset=error.start,
            encodings=["utf-8", "utf-16 (with BOM)", "windows-1252"],
        ) from None


def separator_hint(text: str) -> tuple[str | None, str]:
    """The delimiter an Excel `sep=` line names, and the text with that line blanked (so line
    numbers stay those of the file)."""
    hint = _SEPARATOR_HINT.match(text)
    if hint is None:
        return None, text
    return hint.group(1), "\n" + text[hint.end() :]


def csv_rows(text: str, delimiter: str) -> Iterator[RowCells]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield RowCells(reader.line_num, [_checked(cell, reader.line_num) for cell in cells])
    except csv.Error as error:
        raise InvalidInputError(
            f"Line {reader.line_num} is not readable CSV: {error}", line=reader.line_num
        ) from None


def workbook_rows(data: bytes, limits: WorkbookLimits) -> Iterator[RowCells]:
    """The first sheet's rows, values as shown (cached formula results, not formulas)."""
    _check_package(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not read
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        for number, values in enumerate(
            sheet.iter_rows(max_col=limits.max_columns, values_only=True), start=1
        ):
            yield RowCells(number, [_checked(_cell_text(value), number) for value in values])
    except InvalidInputError:
        raise
    except Exception as error:  # any failure to read an untrusted workbook is the file's fault
        raise InvalidInputError(
            "The file is not a readable .xlsx workbook", reason=type(error).__name__
        ) from None


def _check_package(data: bytes, limits: WorkbookLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise InvalidInputError("The file is a damaged zip archive, not an .xlsx") from None
    declared = sum(info.file_size for info in infos)
    if len(infos) > limits.max_entries or declared > limits.max_uncompressed_bytes:
        raise InvalidInputError(
            "The workbook inflates beyond what a roster needs",
            entries=len(infos),
            decompressed_bytes=declared,
            max_entries=limits.max_entries,
            max_decompressed_bytes=limits.max_uncompressed_bytes,
        )
    if "xl/workbook.xml" not in {info.filename for info in infos}:
        raise InvalidInputError("The zip archive is not an .xlsx workbook")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _checked(cell: str, row: int) -> str:
    control = _CONTROL.search(cell)
    if control is not None:
        character = f"U+{ord(control.group()):04X}"
        raise InvalidInputError(
            f"Row {row} holds a control character ({character})", row=row, character=character
        )
    return cell
