"""Real-time notifications to the teacher's `ws:{user_id}` Redis channel, best effort."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter

from huleedu_service_libs.logging_utils import create_service_logger
from huleedu_service_libs.redis import RedisClient
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
    """Connects on first use, so neither start-up nor a request waits for an absent Redis."""

    def __init__(
        self, client: RedisClient, timeout_seconds: float, registry: CollectorRegistry
    ) -> None:
        self.client = client
        self.timeout_seconds = timeout_seconds
        self._started = False
        self._starting = asyncio.Lock()
        self.failures = Counter(
            "class_management_notifications_failed",
            "Real-time notifications that could not be sent",
            registry=registry,
        )

    async def send(self, notifications: Sequence[Notification]) -> None:
        for notification in notifications:
            await self._send_one(notification)

    async def close(self) -> None:
        await self.client.stop()

    async def _send_one(self, notification: Notification) -> None:
        message = message_for(notification, datetime.now(UTC))
        channel = channel_for(notification.user_id)
        try:
            await asyncio.wait_for(self._publish(channel, message), self.timeout_seconds)
        except Exception as error:  # a lost notification never fails the committed change
            self.failures.inc()
            logger.warning("notification not sent", kind=notification.kind, error=repr(error))

    async def _publish(self, channel: str, message: str) -> None:
        if not self._started:
            async with self._starting:
                if not self._started:
                    await self.client.start()
                    self._started = True
        await self.client.publish(channel, message)
