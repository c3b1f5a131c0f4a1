"""Plain-text bytes to str: BOMs first, then strict UTF-8, then a detected single-byte encoding."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from services.file_service.domain.detection import unsupported

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Legacy encodings considered, in order of preference when the detector finds several equally
# plausible: Western European first (English and Swedish essays), then the others.
SINGLE_BYTE_ENCODINGS = (
    "cp1252",
    "iso8859_15",
    "latin_1",
    "cp1250",
    "iso8859_2",
    "cp1257",
    "iso8859_13",
    "cp1251",
    "koi8_r",
    "iso8859_5",
    "cp1253",
    "iso8859_7",
    "cp1254",
    "iso8859_9",
    "mac_roman",
    "cp850",
    "cp437",
)
# C0 and C1 control characters other than tab, line feed, vertical tab, form feed, return.
DISALLOWED_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Stray NUL bytes are tolerated (normalisation drops them); a binary file has far more.
MAX_CONTROL_SHARE = 0.05


def decode_text(data: bytes) -> str:
    """Raises Refusal(UNSUPPORTED_FILE_TYPE) for bytes that are not text in a known encoding."""
    text = _decode(data)
    if _control_share(text) > MAX_CONTROL_SHARE:
        raise unsupported("binary data")
    return text


def _decode(data: bytes) -> str:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _strict(data, _detect_single_byte(data))


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise unsupported(f"text that is not valid {encoding}") from None


def _detect_single_byte(data: bytes) -> str:
    matches = charset_normalizer.from_bytes(data, cp_isolation=list(SINGLE_BYTE_ENCODINGS))
    best = matches.best()
    if best is None:
        raise unsupported("binary data or text in an unknown encoding")
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    plausible = {encoding for match in tied for encoding in match.could_be_from_charset}
    return next((enc for enc in SINGLE_BYTE_ENCODINGS if enc in plausible), best.encoding)


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    return len(DISALLOWED_CONTROLS.findall(text)) / len(text)
