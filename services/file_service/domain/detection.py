"""Which format a file is, decided from its bytes; its name is never consulted."""

from __future__ import annotations

from enum import StrEnum

from common_core.domain_enums import FileFormat
from common_core.error_enums import FileValidationErrorCode
from services.file_service.domain.refusals import Refusal

PDF_MAGIC = b"%PDF-"
PDF_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first kilobyte
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# An encrypted .docx/.xlsx is an OLE2 compound file with these streams (names are UTF-16LE).
OLE2_ENCRYPTION_MARKERS = (
    "EncryptionInfo".encode("utf-16-le"),
    "EncryptedPackage".encode("utf-16-le"),
)

# Only signatures no essay could start with; other binaries fail text decoding (NUL bytes).
KNOWN_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"{\\rtf", "RTF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"%!PS", "PostScript document"),
    (b"\x7fELF", "executable"),
    (b"\x1f\x8b", "gzip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
)


class Container(StrEnum):
    """What the leading bytes say; a zip still has to prove it is a Word document."""

    PDF = "pdf"
    ZIP = "zip"
    TEXT_CANDIDATE = "text_candidate"


def sniff_container(data: bytes) -> Container:
    if PDF_MAGIC in data[:PDF_HEADER_WINDOW]:
        return Container.PDF
    if data.startswith(ZIP_MAGICS):
        return Container.ZIP
    if data.startswith(OLE2_MAGIC):
        raise _ole2_refusal(data)
    for magic, description in KNOWN_OTHER_FORMATS:
        if data.startswith(magic):
            raise unsupported(description)
    return Container.TEXT_CANDIDATE


def unsupported(description: str) -> Refusal:
    accepted = ", ".join(f".{fmt.value}" for fmt in FileFormat)
    return Refusal(
        FileValidationErrorCode.UNSUPPORTED_FILE_TYPE,
        f"Unsupported file type ({description}); accepted: {accepted}",
        detected=description,
    )


def _ole2_refusal(data: bytes) -> Refusal:
    if any(marker in data for marker in OLE2_ENCRYPTION_MARKERS):
        return Refusal(
            FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED,
            "Password-protected Office documents cannot be read; save it without a password",
            detected="encrypted Office document",
        )
    return unsupported("legacy Office 97-2003 document, e.g. .doc; save it as .docx")
