from __future__ import annotations

from dataclasses import dataclass

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds on what one document may cost to read, and on the text it must yield."""

    max_docx_uncompressed_bytes: int = 50 * MEGABYTE
    max_docx_entries: int = 2000
    max_pdf_pages: int = 500
    min_text_chars: int = 50
    max_text_chars: int = 50_000


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int = 10 * MEGABYTE
    max_files_per_request: int = 20
