"""Word (.docx) files: the package is checked before anything is decompressed.

The decompressed size is bounded by the sizes the zip's central directory declares: Python's
zipfile never inflates a member beyond its declared size (a member that lies fails its CRC check),
so summing the declared sizes bounds the memory any reader of the package can use.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from common_core.error_enums import ErrorCode, FileValidationErrorCode
from services.file_service.domain.detection import unsupported
from services.file_service.domain.limits import DocumentLimits
from services.file_service.domain.refusals import Refusal

CONTENT_TYPES_PART = "[Content_Types].xml"
WORD_DOCUMENT_TYPE = (
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)
OTHER_PACKAGES = (
    (b"spreadsheetml", "Excel workbook"),
    (b"presentationml", "PowerPoint presentation"),
    (b"ms-word.document.macroEnabled", "macro-enabled Word document (.docm)"),
    (b"wordprocessingml.template", "Word template (.dotx)"),
)


def check_docx_package(data: bytes, limits: DocumentLimits) -> None:
    with _open_zip(data) as package:
        infos = package.infolist()
        _check_expansion(infos, limits)
        _check_is_word_document(package, infos)


def extract_docx_text(data: bytes, limits: DocumentLimits) -> str:
    check_docx_package(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        return "\n\n".join(_block_text(block) for block in document.iter_inner_content())
    except Exception as error:  # any failure to read an untrusted document is the file's fault
        raise Refusal(
            FileValidationErrorCode.TEXT_EXTRACTION_FAILED,
            "The Word document could not be read",
            reason=type(error).__name__,
        ) from None


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise unsupported("damaged zip archive") from None


def _check_expansion(infos: list[zipfile.ZipInfo], limits: DocumentLimits) -> None:
    if len(infos) > limits.max_docx_entries:
        raise _too_large(f"has more than {limits.max_docx_entries} parts", entries=len(infos))
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_docx_uncompressed_bytes:
        raise _too_large(
            f"decompresses to more than {limits.max_docx_uncompressed_bytes} bytes",
            decompressed_bytes=declared,
            max_decompressed_bytes=limits.max_docx_uncompressed_bytes,
        )


def _too_large(what: str, **details: int) -> Refusal:
    return Refusal(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The document {what}",
        limit="docx_decompressed_size",
        **details,
    )


def _check_is_word_document(package: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    names = {info.filename for info in infos}
    if "mimetype" in names and CONTENT_TYPES_PART not in names:
        raise unsupported("OpenDocument file")
    if CONTENT_TYPES_PART not in names:
        raise unsupported("zip archive")
    content_types = _read_member(package, CONTENT_TYPES_PART)
    if WORD_DOCUMENT_TYPE in content_types:
        return
    for marker, description in OTHER_PACKAGES:
        if marker in content_types:
            raise unsupported(description)
    raise unsupported("zip archive that is not a Word document")


def _read_member(package: zipfile.ZipFile, name: str) -> bytes:
    try:
        return package.read(name)
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise unsupported("damaged zip archive") from None


def _block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Paragraph):
        return block.text
    return "\n".join(_row_text(row.cells) for row in block.rows)


def _row_text(cells: list[docx.table._Cell]) -> str:
    seen: set[int] = set()
    texts = []
    for cell in cells:  # a merged cell appears once per grid column it spans
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            texts.append(cell.text)
    return "\t".join(texts)
