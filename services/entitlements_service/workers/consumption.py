"""The Kafka consumer of reported usage: each event in its own DI request scope, handled by
`ChargeReportedUsage` with the payload type already checked."""

from __future__ import annotations

from dishka import AsyncContainer

from common_core.events.entitlements import ResourceConsumptionV1
from huleedu_service_libs.kafka import EventConsumer
from huleedu_service_libs.kafka.subscriptions import Subscription, subscribed_consumer
from services.entitlements_service.config import Settings
from services.entitlements_service.handlers.reported_usage import ChargeReportedUsage


async def usage_consumer(container: AsyncContainer, settings: Settings) -> EventConsumer:
    usage = Subscription(
        payload=ResourceConsumptionV1,
        handler=ChargeReportedUsage,
        topic=settings.RESOURCE_CONSUMPTION_TOPIC,
    )
    return await subscribed_consumer(container, settings.CONSUMER_GROUP_ID, [usage])
