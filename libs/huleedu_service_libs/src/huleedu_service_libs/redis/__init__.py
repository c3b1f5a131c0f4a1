"""Redis client with start/stop and the atomic operations the idempotency guard needs."""

from huleedu_service_libs.redis.client import (
    AtomicRedisClientProtocol,
    RedisClient,
    RedisNotStartedError,
)

__all__ = ["AtomicRedisClientProtocol", "RedisClient", "RedisNotStartedError"]
