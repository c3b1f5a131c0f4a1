from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4, uuid5

# Fixed namespace so the same non-UUID header maps to the same UUID in every service and process.
CORRELATION_NAMESPACE = UUID("d751ab36-52d0-45b8-a314-feeddfe18d3c")
MAX_ORIGINAL_LENGTH = 128


@dataclass(frozen=True, slots=True)
class CorrelationContext:
    """`original`: what the caller sent (echoed back); `uuid`: carried by errors, events, logs."""

    original: str
    uuid: UUID

    @classmethod
    def generate(cls) -> CorrelationContext:
        value = uuid4()
        return cls(original=str(value), uuid=value)

    @classmethod
    def from_uuid(cls, value: UUID, original: str | None = None) -> CorrelationContext:
        return cls(original=original or str(value), uuid=value)

    @classmethod
    def from_header(cls, value: str | None) -> CorrelationContext:
        cleaned = (value or "").strip()
        if not _is_acceptable(cleaned):
            return cls.generate()
        parsed = _as_uuid(cleaned)
        if parsed is not None:
            return cls(original=cleaned, uuid=parsed)
        return cls(original=cleaned, uuid=uuid5(CORRELATION_NAMESPACE, cleaned))


def _is_acceptable(value: str) -> bool:
    # Visible ASCII and space only: the value is echoed in a response header.
    return 0 < len(value) <= MAX_ORIGINAL_LENGTH and all(" " <= char <= "~" for char in value)


def _as_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
