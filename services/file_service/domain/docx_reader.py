"""Word (.docx) files: the package is checked before anything is decompressed.

The decompressed size is bounded by the sizes the zip's central directory declares: Python's
zipfile never inflates a member beyond its declared size (a member that lies fails its CRC check),
so summing the declared sizes bounds the memory any reader of the package can use. The parts are
XML read by the standard library's expat, with any document type declaration refused (no entity
of any kind is expanded); which text is read is decided in `wordml`.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile

from common_core.error_enums import ErrorCode, FileValidationErrorCode
from services.file_service.domain.detection import unsupported
from services.file_service.domain.limits import DocumentLimits
from services.file_service.domain.refusals import Refusal
from services.file_service.domain.wordml import WordText

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


ROOT_RELATIONSHIPS = "_rels/.rels"
DEFAULT_DOCUMENT_PART = "word/document.xml"
_DTD_MARKERS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def extract_docx_text(data: bytes, limits: DocumentLimits) -> str:
    """The body's visible text, then the footnotes and endnotes it refers to."""
    check_docx_package(data, limits)
    try:
        with _open_zip(data) as package:
            return _package_text(package)
    except Refusal:
        raise
    except Exception as error:  # any failure to read an untrusted document is the file's fault
        raise _unreadable(type(error).__name__) from None


def _package_text(package: zipfile.ZipFile) -> str:
    document_part = _related_parts(package, ROOT_RELATIONSHIPS).get(
        "officeDocument", DEFAULT_DOCUMENT_PART
    )
    body = _child_named(_parse_part(package, document_part), "body")
    if body is None:
        raise _unreadable("no_document_body")
    reader = WordText()
    texts = reader.blocks(body)
    notes = _related_parts(package, _relationships_part_of(document_part))
    for kind in ("footnote", "endnote"):
        part = notes.get(kind + "s")
        texts.extend(reader.notes(kind, _parse_part(package, part) if part else None))
    return "\n\n".join(texts)


def _related_parts(package: zipfile.ZipFile, relationships_part: str) -> dict[str, str]:
    """Relationship type (its last path segment) to the package part it targets."""
    if relationships_part not in package.namelist():
        return {}
    source_directory = posixpath.dirname(posixpath.dirname(relationships_part))
    parts: dict[str, str] = {}
    for relationship in _parse_part(package, relationships_part):
        target = relationship.get("Target")
        kind = relationship.get("Type", "").rsplit("/", 1)[-1]
        if target and relationship.get("TargetMode") != "External":
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.join(source_directory, target)
            )
            parts.setdefault(kind, posixpath.normpath(path))
    return parts


def _relationships_part_of(part: str) -> str:
    directory, name = posixpath.split(part)
    return posixpath.join(directory, "_rels", name + ".rels")


def _parse_part(package: zipfile.ZipFile, name: str) -> ET.Element:
    if name not in package.namelist():
        raise _unreadable("missing_part", part=name)
    try:
        content = package.read(name)
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
        raise _unreadable(type(error).__name__, part=name) from None  # e.g. a lying size
    if any(marker in content for marker in _DTD_MARKERS):
        raise _unreadable("document_type_declaration", part=name)
    return ET.fromstring(content)


def _child_named(element: ET.Element, local: str) -> ET.Element | None:
    return next((child for child in element if child.tag.endswith("}" + local)), None)


def _unreadable(reason: str, **details: str) -> Refusal:
    return Refusal(
        FileValidationErrorCode.TEXT_EXTRACTION_FAILED,
        "The Word document could not be read",
        reason=reason,
        **details,
    )


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
