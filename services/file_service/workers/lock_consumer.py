"""The worker's Kafka consumer: a batch is locked by the CJ service's CJAssessmentStartedV1.

Locking is idempotent (a locked batch stays locked with its first assessment id), so an
at-least-once redelivery needs no inbox."""

from __future__ import annotations

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry

from common_core.events.cj import CJAssessmentStartedV1
from huleedu_service_libs.kafka import EventConsumer, KafkaBus
from huleedu_service_libs.kafka.subscriptions import Subscription, dispatchers
from services.file_service.config import Settings
from services.file_service.handlers.locking import OnAssessmentStarted


def lock_consumer(
    container: AsyncContainer, settings: Settings, bus: KafkaBus, registry: CollectorRegistry
) -> EventConsumer:
    started = Subscription(
        payload=CJAssessmentStartedV1,
        handler=OnAssessmentStarted,
        topic=settings.ASSESSMENT_STARTED_TOPIC,
    )
    return EventConsumer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        group_id=settings.LOCK_CONSUMER_GROUP,
        handlers=dispatchers(container, [started]),
        dead_letter_bus=bus,
        registry=registry,
    )
