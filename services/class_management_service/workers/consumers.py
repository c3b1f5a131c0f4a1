"""The worker's Kafka consumer: each topic's payload type and the use case that handles it,
resolved per event in its own DI request scope (one unit of work per event)."""

from __future__ import annotations

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry

from common_core.events.class_management import BatchAuthorMatchesSuggestedV1
from huleedu_service_libs.kafka import EventConsumer, KafkaBus
from huleedu_service_libs.kafka.subscriptions import Subscription, dispatchers
from services.class_management_service.config import Settings
from services.class_management_service.handlers.suggestions import SuggestionHandler


async def event_consumer(container: AsyncContainer, settings: Settings) -> EventConsumer:
    subscriptions = [
        Subscription(
            payload=BatchAuthorMatchesSuggestedV1,
            handler=SuggestionHandler,
            topic=settings.AUTHOR_MATCHES_TOPIC,
        )
    ]
    return EventConsumer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        group_id=settings.CONSUMER_GROUP_ID,
        handlers=dispatchers(container, subscriptions),
        dead_letter_bus=await container.get(KafkaBus),
        registry=await container.get(CollectorRegistry),
    )
