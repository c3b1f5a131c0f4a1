"""Upload screening: the format comes from the bytes, and what must never be stored is refused."""

from __future__ import annotations

import pytest

from common_core.domain_enums import FileFormat
from common_core.error_enums import AnyErrorCode, ErrorCode, FileValidationErrorCode
from services.file_service.domain.documents import screen_document
from services.file_service.domain.limits import DocumentLimits
from services.file_service.domain.refusals import Refusal
from services.file_service.tests import documents as docs

LIMITS = DocumentLimits()
ESSAY = docs.essay_text(120)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (ESSAY.encode(), FileFormat.TXT),
        (ESSAY.encode("utf-16"), FileFormat.TXT),
        ("Åsa skrev om sin sommar på landet.".encode("cp1252"), FileFormat.TXT),
        (b"", FileFormat.TXT),
        (docs.docx_bytes(ESSAY), FileFormat.DOCX),
        (docs.pdf_bytes(ESSAY), FileFormat.PDF),
        (docs.image_only_pdf_bytes(), FileFormat.PDF),  # accepted here; processing rejects it
    ],
    ids=["utf8", "utf16-bom", "cp1252", "empty", "docx", "pdf", "pdf-no-text-layer"],
)
def test_accepted_formats_are_recognised_by_content(data: bytes, expected: FileFormat) -> None:
    assert screen_document(data, LIMITS) is expected


def test_a_stray_nul_byte_does_not_make_text_binary() -> None:
    assert screen_document(ESSAY.encode() + b"\x00", LIMITS) is FileFormat.TXT


def test_a_pdf_with_leading_bytes_before_its_header_is_still_a_pdf() -> None:
    assert screen_document(b"\r\n   " + docs.pdf_bytes(ESSAY), LIMITS) is FileFormat.PDF


def _refusal(data: bytes, limits: DocumentLimits = LIMITS) -> Refusal:
    with pytest.raises(Refusal) as caught:
        screen_document(data, limits)
    return caught.value


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (docs.encrypted_pdf_bytes(ESSAY), FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED),
        (
            docs.encrypted_pdf_bytes(ESSAY, user_password=""),
            FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED,
        ),
        (docs.encrypted_docx_bytes(), FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED),
        (docs.legacy_doc_bytes(), FileValidationErrorCode.UNSUPPORTED_FILE_TYPE),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), FileValidationErrorCode.UNSUPPORTED_FILE_TYPE),
        (b"\xff\xd8\xff\xe0" + bytes(200), FileValidationErrorCode.UNSUPPORTED_FILE_TYPE),
        (b"{\\rtf1\\ansi Hello}", FileValidationErrorCode.UNSUPPORTED_FILE_TYPE),
        (bytes(range(256)) * 8, FileValidationErrorCode.UNSUPPORTED_FILE_TYPE),
        (
            "UTF-16 text without its byte order mark".encode("utf-16-le"),
            FileValidationErrorCode.UNSUPPORTED_FILE_TYPE,
        ),
        (docs.zip_bytes({"notes.txt": b"hello"}), FileValidationErrorCode.UNSUPPORTED_FILE_TYPE),
        (
            docs.zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text"}),
            FileValidationErrorCode.UNSUPPORTED_FILE_TYPE,
        ),
        (b"PK\x03\x04 truncated zip", FileValidationErrorCode.UNSUPPORTED_FILE_TYPE),
        (b"%PDF-1.7\n garbage that is no PDF", FileValidationErrorCode.TEXT_EXTRACTION_FAILED),
    ],
    ids=[
        "encrypted-pdf",
        "pdf-owner-password-only",
        "encrypted-docx",
        "legacy-doc",
        "png",
        "jpeg",
        "rtf",
        "binary",
        "utf16-without-bom",
        "plain-zip",
        "opendocument",
        "damaged-zip",
        "damaged-pdf",
    ],
)
def test_refusals_carry_a_specific_code(data: bytes, code: AnyErrorCode) -> None:
    assert _refusal(data).code is code


def test_an_xlsx_is_named_as_what_it_is() -> None:
    content_types = (
        b'<Types><Override ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
    )
    refusal = _refusal(docs.zip_bytes({"[Content_Types].xml": content_types}))
    assert refusal.code is FileValidationErrorCode.UNSUPPORTED_FILE_TYPE
    assert refusal.details["detected"] == "Excel workbook"


def test_a_docx_that_inflates_beyond_the_bound_is_refused_before_it_is_read() -> None:
    limits = DocumentLimits(max_docx_uncompressed_bytes=2_000_000)
    bomb = docs.docx_bomb_bytes(decompressed_bytes=5_000_000)
    assert len(bomb) < 100_000  # small on the wire
    refusal = _refusal(bomb, limits)
    assert refusal.code is ErrorCode.PAYLOAD_TOO_LARGE
    assert refusal.details["decompressed_bytes"] > 5_000_000


def test_a_docx_with_too_many_parts_is_refused() -> None:
    members = {f"word/part{i}.xml": b"x" for i in range(30)}
    refusal = _refusal(docs.zip_bytes(members), DocumentLimits(max_docx_entries=10))
    assert refusal.code is ErrorCode.PAYLOAD_TOO_LARGE


def test_a_pdf_with_too_many_pages_is_refused() -> None:
    refusal = _refusal(docs.pdf_bytes(docs.essay_text(3000)), DocumentLimits(max_pdf_pages=2))
    assert refusal.code is FileValidationErrorCode.CONTENT_TOO_LONG
    assert refusal.details["max_pages"] == 2
