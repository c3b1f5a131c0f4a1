"""Content-store keys: the content type and the SHA-256 of the bytes, so equal bytes share one
entry and a key can never point outside the store."""

from __future__ import annotations

import hashlib
import re

from common_core.domain_enums import ContentType

PREFIXES = {ContentType.RAW_UPLOAD: "raw", ContentType.EXTRACTED_TEXT: "text"}
_STORAGE_ID = re.compile(r"^(raw|text)-([0-9a-f]{64})$")


def storage_id_for(content_type: ContentType, data: bytes) -> str:
    return f"{PREFIXES[content_type]}-{hashlib.sha256(data).hexdigest()}"


def parse_storage_id(storage_id: str) -> tuple[ContentType, str] | None:
    """The content type and hash, or None for anything that is not a well-formed key."""
    match = _STORAGE_ID.fullmatch(storage_id)
    if match is None:
        return None
    prefix, digest = match.groups()
    content_type = next(kind for kind, known in PREFIXES.items() if known == prefix)
    return content_type, digest


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
