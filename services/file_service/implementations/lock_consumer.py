"""Batches are locked by the CJ service's CJAssessmentStartedV1, consumed in the worker.

Locking is idempotent (a locked batch stays locked with its first assessment id), so an
at-least-once redelivery needs no inbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry

from common_core.events.cj import CJAssessmentStartedV1
from common_core.events.envelope import EventEnvelope
from common_core.events.registry import spec_for_payload
from huleedu_service_libs.kafka import EventConsumer, KafkaBus
from services.file_service.handlers.locking import LockBatch

ASSESSMENT_STARTED_TOPIC = spec_for_payload(CJAssessmentStartedV1).topic


def on_assessment_started(lock: LockBatch) -> Callable[[EventEnvelope[Any]], Awaitable[None]]:
    async def handle(envelope: EventEnvelope[Any]) -> None:
        started: CJAssessmentStartedV1 = envelope.data
        await lock(started.batch_id, started.assessment_id)

    return handle


def lock_consumer(
    bootstrap_servers: str,
    group_id: str,
    lock: LockBatch,
    bus: KafkaBus,
    registry: CollectorRegistry,
) -> EventConsumer:
    return EventConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        handlers={ASSESSMENT_STARTED_TOPIC: on_assessment_started(lock)},
        dead_letter_bus=bus,
        registry=registry,
    )
