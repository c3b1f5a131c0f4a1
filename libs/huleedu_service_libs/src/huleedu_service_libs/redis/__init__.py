"""Redis client with start/stop and the atomic operations the idempotency guard needs, and the
teachers' real-time notifications."""

from huleedu_service_libs.redis.client import (
    AtomicRedisClientProtocol,
    RedisClient,
    RedisNotStartedError,
)
from huleedu_service_libs.redis.notifications import (
    Notification,
    Notifier,
    RedisNotifier,
    notification_channel,
)

__all__ = [
    "AtomicRedisClientProtocol",
    "Notification",
    "Notifier",
    "RedisClient",
    "RedisNotStartedError",
    "RedisNotifier",
    "notification_channel",
]
