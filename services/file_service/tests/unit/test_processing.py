"""Processing a stored document: extraction by format, normalisation, then the text rules."""

from __future__ import annotations

import codecs

import pytest

from common_core.domain_enums import FileFormat
from common_core.error_enums import FileValidationErrorCode
from services.file_service.domain.documents import (
    ExtractedText,
    RejectedText,
    process_document,
)
from services.file_service.domain.limits import DocumentLimits
from services.file_service.tests import documents as docs

LIMITS = DocumentLimits()
ESSAY = docs.essay_text(600)
SWEDISH = (
    "Jag tycker att skolan är viktig för alla elever. Många säger att läxor är onödiga, "
    "men jag håller inte med. Öppna frågor ger eleverna chansen att tänka själva, "
    "och det är värt mycket."
)


def _text(data: bytes, file_format: FileFormat, limits: DocumentLimits = LIMITS) -> str:
    outcome = process_document(data, file_format, limits)
    assert isinstance(outcome, ExtractedText), outcome
    return outcome.text


def _rejection(
    data: bytes, file_format: FileFormat, limits: DocumentLimits = LIMITS
) -> RejectedText:
    outcome = process_document(data, file_format, limits)
    assert isinstance(outcome, RejectedText), outcome
    return outcome


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with BOM, native order
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        lambda text: text.encode("cp1252"),
        lambda text: text.encode("latin-1"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-be", "cp1252", "latin1"],
)
def test_plain_text_in_every_accepted_encoding_reads_the_same(encode) -> None:  # type: ignore[no-untyped-def]
    assert _text(encode(SWEDISH), FileFormat.TXT) == SWEDISH


def test_cyrillic_in_a_legacy_single_byte_encoding_is_detected() -> None:
    russian = (
        "Привет, как дела? Это пример текста на русском языке. "
        "Летом мы жили в деревне у бабушки и дедушки, и каждый день ходили на реку."  # noqa: RUF001
    )
    assert _text(russian.encode("cp1251"), FileFormat.TXT) == russian


def test_docx_paragraphs_and_tables_are_extracted_in_order() -> None:
    data = docs.docx_bytes(ESSAY, table=[["Name", "Grade"], ["Ada", "A"]])
    text = _text(data, FileFormat.DOCX)
    assert _words(text) == [*_words(ESSAY), "Name", "Grade", "Ada", "A"]


def test_pdf_text_layer_is_extracted() -> None:
    text = _text(docs.pdf_bytes(ESSAY), FileFormat.PDF)
    assert _words(text) == _words(ESSAY)


def test_pdf_keeps_swedish_letters() -> None:
    assert _words(_text(docs.pdf_bytes(SWEDISH), FileFormat.PDF)) == _words(SWEDISH)


def test_a_pdf_without_a_text_layer_is_rejected() -> None:
    rejection = _rejection(docs.image_only_pdf_bytes(), FileFormat.PDF)
    assert rejection.code is FileValidationErrorCode.TEXT_EXTRACTION_FAILED
    assert rejection.details["reason"] == "no_text_layer"


def test_an_encrypted_pdf_is_rejected_by_processing_too() -> None:
    rejection = _rejection(docs.encrypted_pdf_bytes(ESSAY), FileFormat.PDF)
    assert rejection.code is FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED


def test_a_docx_whose_zip_directory_lies_about_its_size_fails_instead_of_inflating() -> None:
    rejection = _rejection(docs.lying_docx_bytes(true_size=3_000_000), FileFormat.DOCX)
    assert rejection.code is FileValidationErrorCode.TEXT_EXTRACTION_FAILED


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", FileValidationErrorCode.EMPTY_CONTENT),
        (" " * 100 + "\x00\n\t\n", FileValidationErrorCode.EMPTY_CONTENT),
        ("Too short to be an essay.", FileValidationErrorCode.CONTENT_TOO_SHORT),
        ("word " * 12_000, FileValidationErrorCode.CONTENT_TOO_LONG),
    ],
    ids=["empty", "whitespace-and-nul-only", "short", "long"],
)
def test_text_rules(text: str, code: FileValidationErrorCode) -> None:
    assert _rejection(text.encode(), FileFormat.TXT).code is code


def test_the_limits_are_configurable() -> None:
    limits = DocumentLimits(min_text_chars=5, max_text_chars=30)
    assert _text(b"Short but fine.", FileFormat.TXT, limits) == "Short but fine."
    too_long = _rejection(
        b"This sentence is longer than thirty characters.", FileFormat.TXT, limits
    )
    assert too_long.code is FileValidationErrorCode.CONTENT_TOO_LONG
    assert too_long.details == {"char_count": 47, "max_chars": 30}


def test_the_counted_length_is_that_of_the_normalised_text() -> None:
    padded = "a" * 45 + " " * 40 + "b\x00c"  # 87 characters as uploaded, 48 once normalised
    rejection = _rejection(padded.encode(), FileFormat.TXT)
    assert rejection.code is FileValidationErrorCode.CONTENT_TOO_SHORT
    assert rejection.details["char_count"] == 48
