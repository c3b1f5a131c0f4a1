"""Normalising extracted text, and the rules it must then meet."""

from __future__ import annotations

import re
import unicodedata

from common_core.error_enums import FileValidationErrorCode
from services.file_service.domain.limits import DocumentLimits
from services.file_service.domain.refusals import Refusal

_LINE_BREAKS = re.compile("\r\n|[\r\u2028\x85]")
_PARAGRAPH_SEPARATOR = "\u2029"
# Control characters (NUL included) other than the whitespace ones handled below.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")  # soft hyphen, zero-width space, BOM
_HORIZONTAL_SPACE = re.compile("[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_SPACE_AROUND_BREAK = re.compile(" ?\n ?")
_EXTRA_BLANK_LINES = re.compile("\n{3,}")


def normalise_text(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", text).replace(_PARAGRAPH_SEPARATOR, "\n\n")
    text = _INVISIBLE.sub("", _CONTROLS.sub("", text))
    text = unicodedata.normalize("NFC", text)
    text = _SPACE_AROUND_BREAK.sub("\n", _HORIZONTAL_SPACE.sub(" ", text))
    return _EXTRA_BLANK_LINES.sub("\n\n", text).strip()


def validate_text(text: str, limits: DocumentLimits) -> None:
    count = len(text)
    if count == 0:
        raise Refusal(FileValidationErrorCode.EMPTY_CONTENT, "The file contains no text")
    if count < limits.min_text_chars:
        raise Refusal(
            FileValidationErrorCode.CONTENT_TOO_SHORT,
            f"The text has {count} characters; at least {limits.min_text_chars} are required",
            char_count=count,
            min_chars=limits.min_text_chars,
        )
    if count > limits.max_text_chars:
        raise Refusal(
            FileValidationErrorCode.CONTENT_TOO_LONG,
            f"The text has {count} characters; at most {limits.max_text_chars} are accepted",
            char_count=count,
            max_chars=limits.max_text_chars,
        )
