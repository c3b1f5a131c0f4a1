"""Uploaded file names are kept for display only: cleaned here, never used as a path."""

from __future__ import annotations

import re
import unicodedata

FALLBACK_NAME = "upload"
MAX_NAME_CHARS = 200
MAX_EXTENSION_CHARS = 16
_RESERVED = re.compile(r'[<>:"|?*]')
_HORIZONTAL_WHITESPACE = re.compile(r"[^\S\r\n]+")


def sanitise_file_name(raw: str | None) -> str:
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]  # a client may send a whole path
    name = _HORIZONTAL_WHITESPACE.sub(" ", _RESERVED.sub("_", name))
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = name.strip().lstrip(".").strip()
    return _truncate(name) if name else FALLBACK_NAME


def _truncate(name: str) -> str:
    if len(name) <= MAX_NAME_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION_CHARS:
        return name[:MAX_NAME_CHARS].rstrip()
    return f"{stem[: MAX_NAME_CHARS - len(extension) - 1].rstrip()}.{extension}"
