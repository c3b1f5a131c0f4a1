"""Sliding-window logs in Redis: one sorted set per subject and metric, scored by time.

Each member is `<token>:<quantity>`, so one request of many units is one member, and a request
whose charge failed can be taken back by its token. Check-and-record is one Lua script, atomic
across every window of the metric.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import redis.asyncio as redis_asyncio

from services.entitlements_service.domain.rate_limits import WindowState

# KEYS[1] the log; ARGV: now, quantity (0 = only look), token, longest window, then limit/window
# pairs. Returns, per window, {used, oldest score inside it or -1}, as they were before.
_SCRIPT = """
local now = tonumber(ARGV[1])
local quantity = tonumber(ARGV[2])
local longest = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local result = {}
local fits = true
for i = 5, #ARGV, 2 do
  local limit = tonumber(ARGV[i])
  local window = tonumber(ARGV[i + 1])
  local members = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES')
  local used = 0
  local oldest = -1
  for j = 1, #members, 2 do
    used = used + tonumber(string.match(members[j], ':(%d+)$'))
    if oldest < 0 then oldest = tonumber(members[j + 1]) end
  end
  if used + quantity > limit then fits = false end
  table.insert(result, used)
  table.insert(result, tostring(oldest))
end
if quantity > 0 and fits then
  redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. quantity)
  redis.call('EXPIRE', KEYS[1], longest + 1)
end
return result
"""
_RELEASE = """
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ':' then
    redis.call('ZREM', KEYS[1], member)
  end
end
return 0
"""


class RedisRateLimitStore:
    def __init__(self, client: redis_asyncio.Redis) -> None:
        self.client = client
        self._script: Any = client.register_script(_SCRIPT)
        self._release: Any = client.register_script(_RELEASE)

    async def windows(
        self, key: str, limits: Sequence[tuple[int, int]], now: float
    ) -> list[WindowState]:
        return await self._run(key, limits, 0, "peek", now)

    async def acquire(
        self, key: str, limits: Sequence[tuple[int, int]], quantity: int, token: str, now: float
    ) -> list[WindowState]:
        return await self._run(key, limits, quantity, token, now)

    async def release(self, key: str, token: str) -> None:
        await self._release(keys=[key], args=[token])

    async def _run(
        self, key: str, limits: Sequence[tuple[int, int]], quantity: int, token: str, now: float
    ) -> list[WindowState]:
        longest = max(seconds for _, seconds in limits)
        pairs = [value for limit in limits for value in limit]
        raw = await self._script(keys=[key], args=[now, quantity, token, longest, *pairs])
        return [
            _state(limit, seconds, int(raw[2 * i]), float(raw[2 * i + 1]), now)
            for i, (limit, seconds) in enumerate(limits)
        ]


def _state(limit: int, seconds: int, used: int, oldest: float, now: float) -> WindowState:
    retry = math.ceil(oldest + seconds - now) if oldest >= 0 else 0
    return WindowState(limit, seconds, used, max(0, retry))
