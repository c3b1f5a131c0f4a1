"""The PDF text layer, read by pypdf, agrees word for word with pdfminer.six on generated PDFs:
several pages, several fonts (the 14 core fonts, and embedded TrueType subsets), Swedish letters,
one and two columns."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pdfminer.high_level import extract_text as pdfminer_text

from common_core.domain_enums import FileFormat
from services.file_service.domain.documents import ExtractedText, process_document
from services.file_service.domain.limits import DocumentLimits
from services.file_service.tests import documents as docs

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
TRUETYPE = {"sans": DEJAVU / "DejaVuSans.ttf", "serif": DEJAVU / "DejaVuSerif.ttf"}


def _pages(count: int) -> list[str]:
    return [
        "\n\n".join([f"Sida {page + 1}.", *docs.SWEDISH_SENTENCES, docs.essay_text(80, seed=page)])
        for page in range(count)
    ]


def _extracted(data: bytes) -> str:
    outcome = process_document(data, FileFormat.PDF, DocumentLimits())
    assert isinstance(outcome, ExtractedText), outcome
    return outcome.text


def _truetype_fonts() -> dict[str, str]:
    if not all(path.exists() for path in TRUETYPE.values()):
        pytest.skip(f"the DejaVu fonts (Debian fonts-dejavu-core) are not in {DEJAVU}")
    return {name: str(path) for name, path in TRUETYPE.items()}


@pytest.mark.parametrize("columns", [1, 2], ids=["one-column", "two-columns"])
def test_core_fonts_over_several_pages_match_pdfminer(columns: int) -> None:
    pages = _pages(3)
    data = docs.pdf_pages_bytes(pages, columns=columns)
    words = _extracted(data).split()
    assert words == pdfminer_text(io.BytesIO(data)).split()
    assert words == "\n\n".join(pages).split()


@pytest.mark.parametrize("columns", [1, 2], ids=["one-column", "two-columns"])
def test_embedded_truetype_fonts_match_pdfminer(columns: int) -> None:
    pages = _pages(2)
    data = docs.pdf_pages_bytes(pages, fonts=_truetype_fonts(), columns=columns)
    words = _extracted(data).split()
    assert words == pdfminer_text(io.BytesIO(data)).split()
    assert words == "\n\n".join(pages).split()


def test_swedish_letters_survive_as_composed_characters() -> None:
    data = docs.pdf_pages_bytes(["\n\n".join(docs.SWEDISH_SENTENCES * 2)])
    text = _extracted(data)
    assert "Åsa och Örjan läste om älgar på ön." in text
    assert "\u0308" not in text  # no combining diaeresis: NFC, as the judge's prompt expects
