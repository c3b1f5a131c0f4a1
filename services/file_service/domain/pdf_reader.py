"""PDF files: refused when encrypted; text comes from the text layer only (no OCR)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from common_core.error_enums import FileValidationErrorCode
from services.file_service.domain.limits import DocumentLimits
from services.file_service.domain.refusals import Refusal


def check_pdf(data: bytes, limits: DocumentLimits) -> None:
    _page_count(_open(data), limits)


def extract_pdf_text(data: bytes, limits: DocumentLimits) -> str:
    reader = _open(data)
    _page_count(reader, limits)
    try:
        text = "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as error:  # any failure to read an untrusted document is the file's fault
        raise _unreadable(type(error).__name__) from None
    if not text.strip():
        raise Refusal(
            FileValidationErrorCode.TEXT_EXTRACTION_FAILED,
            "The PDF has no text layer (is it a scan?); upload a PDF with selectable text",
            reason="no_text_layer",
        )
    return text


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as error:
        raise _unreadable(type(error).__name__) from None
    if encrypted:
        raise Refusal(
            FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED,
            "Encrypted or password-protected PDFs cannot be read; save it without protection",
            detected="encrypted PDF",
        )
    return reader


def _page_count(reader: PdfReader, limits: DocumentLimits) -> int:
    try:
        count = len(reader.pages)
    except Exception as error:
        raise _unreadable(type(error).__name__) from None
    if count > limits.max_pdf_pages:
        raise Refusal(
            FileValidationErrorCode.CONTENT_TOO_LONG,
            f"The PDF has {count} pages; at most {limits.max_pdf_pages} are accepted",
            pages=count,
            max_pages=limits.max_pdf_pages,
        )
    return count


def _unreadable(reason: str) -> Refusal:
    return Refusal(
        FileValidationErrorCode.TEXT_EXTRACTION_FAILED,
        "The PDF could not be read (damaged or not a PDF)",
        reason=reason,
    )
