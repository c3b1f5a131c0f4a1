"""Roster files as school systems and Excel export them, generated inside the tests."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence

from openpyxl import Workbook

Cell = str | int | float | None

SWEDISH_HEADER = ("Förnamn", "Efternamn", "E-post", "Personnummer", "Klass")
SWEDISH_STUDENTS = (
    ("Åsa", "Öberg", "åsa.öberg@skola.se", "20100312-1234", "9A"),
    ("Örjan", "Ängström", "orjan.angstrom@skola.se", "20100501-2345", "9A"),
    ("Märta", "Söderlund; Nilsson", "marta@skola.se", "20101124-3456", "9A"),
)


def csv_bytes(
    rows: Sequence[Sequence[Cell]], delimiter: str = ",", encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def swedish_export(delimiter: str = ";", encoding: str = "cp1252") -> bytes:
    return csv_bytes([SWEDISH_HEADER, *SWEDISH_STUDENTS], delimiter, encoding)


def xlsx_bytes(rows: Sequence[Sequence[Cell]], title: str = "Elever") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def inflating_xlsx_bytes(padding_bytes: int) -> bytes:
    """A real workbook with a part that inflates to `padding_bytes`."""
    buffer = io.BytesIO(xlsx_bytes([SWEDISH_HEADER, *SWEDISH_STUDENTS]))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\x00" * padding_bytes)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()
