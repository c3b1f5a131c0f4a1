"""Seed 001's import path, `huleedu_service_libs.outbox.models`; the model lives in `model.py`."""

from huleedu_service_libs.outbox.model import EventOutbox, OutboxBase, with_event_outbox

__all__ = ["EventOutbox", "OutboxBase", "with_event_outbox"]
