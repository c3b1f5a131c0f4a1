"""Real-time notifications to a teacher's `ws:{user_id}` Redis channel, best effort.

A use case hands `send` to its unit of work's after-commit callbacks, so a rolled-back change
notifies nobody and a lost notification never undoes a committed one. A browser gateway relays the
channel to the teacher's websocket; the events on Kafka stay the record of what happened.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis

from huleedu_service_libs.logging_utils import create_service_logger

logger = create_service_logger("huleedu.notifications")


@dataclass(frozen=True)
class Notification:
    user_id: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    async def send(self, notification: Notification) -> None:
        """Best effort: never raises."""


def notification_channel(user_id: str) -> str:
    return f"ws:{user_id}"


def notification_message(service: str, notification: Notification, sent_at: datetime) -> str:
    body = {
        "type": notification.kind,
        "service": service,
        "sent_at": sent_at.isoformat(),
        "data": notification.data,
    }
    return json.dumps(body, default=str)


class RedisNotifier:
    """Publishes on the service's Redis client, which connects on first use, so neither start-up
    nor a request depends on Redis being up. Each publish is bounded by `timeout_seconds`: the
    caller waits for it, and the client's own socket timeout is longer."""

    def __init__(
        self, redis: Redis, service: str, timeout_seconds: float, registry: CollectorRegistry
    ) -> None:
        self.redis = redis
        self.service = service
        self.timeout_seconds = timeout_seconds
        self.failures = Counter(
            "huleedu_notifications_failed",
            "Real-time notifications that could not be sent",
            registry=registry,
        )

    async def send(self, notification: Notification) -> None:
        message = notification_message(self.service, notification, datetime.now(UTC))
        publish = self.redis.publish(notification_channel(notification.user_id), message)
        try:
            await asyncio.wait_for(publish, self.timeout_seconds)
        except Exception as error:  # a lost notification never fails the committed change
            self.failures.inc()
            logger.warning("notification not sent", kind=notification.kind, error=repr(error))
