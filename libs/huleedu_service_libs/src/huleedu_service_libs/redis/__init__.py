"""Redis client with start/stop and the atomic operations services need, plus an in-memory fake."""

from huleedu_service_libs.redis.client import (
    AtomicRedisClientProtocol,
    RedisClient,
    RedisNotStartedError,
)
from huleedu_service_libs.redis.fake import InMemoryRedis

__all__ = ["AtomicRedisClientProtocol", "InMemoryRedis", "RedisClient", "RedisNotStartedError"]
