"""The worker's Kafka consumer: a batch is locked by the CJ service's CJAssessmentStartedV1.

Locking is idempotent (a locked batch stays locked with its first assessment id), so an
at-least-once redelivery needs no inbox."""

from __future__ import annotations

from dishka import AsyncContainer

from common_core.events.cj import CJAssessmentStartedV1
from huleedu_service_libs.kafka import EventConsumer
from huleedu_service_libs.kafka.subscriptions import Subscription, subscribed_consumer
from services.file_service.config import Settings
from services.file_service.handlers.locking import OnAssessmentStarted


async def lock_consumer(container: AsyncContainer, settings: Settings) -> EventConsumer:
    started = Subscription(
        payload=CJAssessmentStartedV1,
        handler=OnAssessmentStarted,
        topic=settings.ASSESSMENT_STARTED_TOPIC,
    )
    return await subscribed_consumer(container, settings.LOCK_CONSUMER_GROUP, [started])
