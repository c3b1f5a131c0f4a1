"""The Kafka consumer of reported usage: each event in its own DI request scope, handled by
`ChargeReportedUsage` with the payload type already checked."""

from __future__ import annotations

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry

from common_core.events.entitlements import ResourceConsumptionV1
from huleedu_service_libs.kafka import EventConsumer, KafkaBus
from huleedu_service_libs.kafka.subscriptions import Subscription, dispatchers
from services.entitlements_service.config import Settings
from services.entitlements_service.handlers.reported_usage import ChargeReportedUsage


async def usage_consumer(container: AsyncContainer, settings: Settings) -> EventConsumer:
    subscriptions = [
        Subscription(
            payload=ResourceConsumptionV1,
            handler=ChargeReportedUsage,
            topic=settings.RESOURCE_CONSUMPTION_TOPIC,
        )
    ]
    return EventConsumer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        group_id=settings.CONSUMER_GROUP_ID,
        handlers=dispatchers(container, subscriptions),
        dead_letter_bus=await container.get(KafkaBus),
        registry=await container.get(CollectorRegistry),
    )
