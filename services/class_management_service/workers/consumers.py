"""The worker's Kafka consumer: each topic's payload type and the use case that handles it,
resolved per event in its own DI request scope (one unit of work per event)."""

from __future__ import annotations

from dishka import AsyncContainer

from common_core.events.class_management import BatchAuthorMatchesSuggestedV1
from huleedu_service_libs.kafka import EventConsumer
from huleedu_service_libs.kafka.subscriptions import Subscription, subscribed_consumer
from services.class_management_service.config import Settings
from services.class_management_service.handlers.suggestions import SuggestionHandler


async def event_consumer(container: AsyncContainer, settings: Settings) -> EventConsumer:
    suggestions = Subscription(
        payload=BatchAuthorMatchesSuggestedV1,
        handler=SuggestionHandler,
        topic=settings.AUTHOR_MATCHES_TOPIC,
    )
    return await subscribed_consumer(container, settings.CONSUMER_GROUP_ID, [suggestions])
