"""Carrying the caller's own correlation string through events.

An envelope's `correlation_id` is a UUID; a caller who sent `teacher-request-42` would otherwise
find only its UUIDv5 in a consumer's logs. Writers stamp the original into the envelope's
metadata; consumers restore it, trusting it only if it maps to the envelope's UUID.
"""

from __future__ import annotations

from typing import Any, TypeVar

from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.correlation.context import CorrelationContext
from huleedu_service_libs.correlation.scope import current_correlation

ORIGINAL_CORRELATION_KEY = "original_correlation_id"
E = TypeVar("E", bound=EventEnvelope[Any])


def with_original_correlation(envelope: E) -> E:
    """The envelope with the active context's original string, when it belongs to this event."""
    context = current_correlation()
    if (
        context is None
        or context.uuid != envelope.correlation_id
        or context.original == str(context.uuid)
        or ORIGINAL_CORRELATION_KEY in envelope.metadata
    ):
        return envelope
    metadata = {**envelope.metadata, ORIGINAL_CORRELATION_KEY: context.original}
    return envelope.model_copy(update={"metadata": metadata})


def correlation_of(envelope: EventEnvelope[Any]) -> CorrelationContext:
    """The context a consumer of this envelope runs in."""
    original = envelope.metadata.get(ORIGINAL_CORRELATION_KEY)
    if isinstance(original, str):
        claimed = CorrelationContext.from_header(original)
        if claimed.uuid == envelope.correlation_id and claimed.original == original:
            return claimed
    return CorrelationContext.from_uuid(envelope.correlation_id)
