"""Real-time notifications to the teacher's `ws:{user_id}` Redis channel, best effort. The use
cases hand `send` to the unit of work's after-commit callbacks, so a rolled-back change
notifies nobody."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis

from huleedu_service_libs.logging_utils import create_service_logger
from services.class_management_service.protocols import Notification

logger = create_service_logger("class_management_service.notifier")


def channel_for(user_id: str) -> str:
    return f"ws:{user_id}"


def message_for(notification: Notification, sent_at: datetime) -> str:
    return json.dumps(
        {
            "type": notification.kind,
            "service": "class_management_service",
            "sent_at": sent_at.isoformat(),
            "data": notification.data,
        },
        default=str,
    )


class RedisNotifier:
    """`redis` (the library's client) connects on first use and reconnects by itself, so neither
    start-up nor a request depends on Redis being up. The request waits for its notifications,
    so each publish is bounded by `timeout_seconds`, not by the client's longer socket timeout."""

    def __init__(self, redis: Redis, timeout_seconds: float, registry: CollectorRegistry) -> None:
        self.redis = redis
        self.timeout_seconds = timeout_seconds
        self.failures = Counter(
            "class_management_notifications_failed",
            "Real-time notifications that could not be sent",
            registry=registry,
        )

    async def send(self, notification: Notification) -> None:
        message = message_for(notification, datetime.now(UTC))
        publish = self.redis.publish(channel_for(notification.user_id), message)
        try:
            await asyncio.wait_for(publish, self.timeout_seconds)
        except Exception as error:  # a lost notification never fails the committed change
            self.failures.inc()
            logger.warning("notification not sent", kind=notification.kind, error=repr(error))
