"""What happens to one document's bytes: screening at upload, processing in the worker.

Both are pure functions of the bytes (no I/O), so the API runs screening in a thread and the
worker runs processing in a process pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common_core.domain_enums import FileFormat
from common_core.error_enums import AnyErrorCode
from services.file_service.domain.detection import Container, sniff_container
from services.file_service.domain.docx_reader import check_docx_package, extract_docx_text
from services.file_service.domain.limits import DocumentLimits
from services.file_service.domain.pdf_reader import check_pdf, extract_pdf_text
from services.file_service.domain.refusals import Refusal
from services.file_service.domain.text_decoding import decode_text
from services.file_service.domain.text_rules import normalise_text, validate_text


def screen_document(data: bytes, limits: DocumentLimits) -> FileFormat:
    """The file's format, or a Refusal for what must never be accepted or stored."""
    container = sniff_container(data)
    if container is Container.PDF:
        check_pdf(data, limits)
        return FileFormat.PDF
    if container is Container.ZIP:
        check_docx_package(data, limits)
        return FileFormat.DOCX
    decode_text(data)
    return FileFormat.TXT


@dataclass(frozen=True)
class ExtractedText:
    text: str

    @property
    def char_count(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class RejectedText:
    code: AnyErrorCode
    message: str
    details: dict[str, Any] = field(default_factory=dict)


DocumentOutcome = ExtractedText | RejectedText


def process_document(
    data: bytes, file_format: FileFormat, limits: DocumentLimits
) -> DocumentOutcome:
    try:
        text = normalise_text(extract_text(data, file_format, limits))
        validate_text(text, limits)
    except Refusal as refusal:
        return RejectedText(refusal.code, refusal.message, refusal.details)
    return ExtractedText(text)


def extract_text(data: bytes, file_format: FileFormat, limits: DocumentLimits) -> str:
    if file_format is FileFormat.PDF:
        return extract_pdf_text(data, limits)
    if file_format is FileFormat.DOCX:
        return extract_docx_text(data, limits)
    return decode_text(data)
