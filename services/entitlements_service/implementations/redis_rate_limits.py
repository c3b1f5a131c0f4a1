"""Sliding-window logs in Redis: per subject, metric and window, a sorted set scored by time and
a running total of the units inside it.

Each member is `<token>:<quantity>`, so one request of many units is one member, and a request
whose charge failed can be taken back by its token. A member's units come off the running total
once, when it leaves the window, so a check costs O(log n) however busy the subject is; summing
the window on every check made Redis the bottleneck for a busy account (linear in its usage).
Check-and-record is one Lua script, atomic across every window of the metric.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import redis.asyncio as redis_asyncio

from services.entitlements_service.domain.rate_limits import WindowState

# KEYS: per window, its log and then its running total. Lua helpers shared by both scripts.
_UNITS = """
local function units(member)
  return tonumber(string.match(member, ':(%d+)$'))
end
"""
# ARGV: now, quantity (0 = only look), member, then limit/window pairs in KEYS' order.
# Returns, per window, {used, oldest score inside it or -1}, as they were before.
_SCRIPT = (
    _UNITS
    + """
local function window_total(log, total, cutoff)
  local gone = 0
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', log, '-inf', cutoff)) do
    gone = gone + units(member)
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', cutoff)
  if redis.call('EXISTS', log) == 0 then
    redis.call('DEL', total)
    return 0
  end
  if redis.call('EXISTS', total) == 1 then
    return redis.call('DECRBY', total, gone)
  end
  -- The total alone was lost (e.g. evicted): count the log once and keep counting from there.
  local used = 0
  for _, member in ipairs(redis.call('ZRANGE', log, 0, -1)) do
    used = used + units(member)
  end
  redis.call('SET', total, used)
  redis.call('PEXPIRE', total, math.max(redis.call('PTTL', log), 1))
  return used
end

local now = tonumber(ARGV[1])
local quantity = tonumber(ARGV[2])
local result = {}
local fits = true
for w = 1, #KEYS / 2 do
  local limit = tonumber(ARGV[2 + 2 * w])
  local window = tonumber(ARGV[3 + 2 * w])
  local used = window_total(KEYS[2 * w - 1], KEYS[2 * w], now - window)
  local first = redis.call('ZRANGE', KEYS[2 * w - 1], 0, 0, 'WITHSCORES')
  if used + quantity > limit then fits = false end
  table.insert(result, used)
  table.insert(result, first[2] or '-1')
end
if quantity > 0 and fits then
  for w = 1, #KEYS / 2 do
    local window = tonumber(ARGV[3 + 2 * w])
    -- ZADD answers 0 when two limits share a window (same keys): count the units once.
    if redis.call('ZADD', KEYS[2 * w - 1], now, ARGV[3]) == 1 then
      redis.call('INCRBY', KEYS[2 * w], quantity)
    end
    redis.call('EXPIRE', KEYS[2 * w - 1], window + 1)
    redis.call('EXPIRE', KEYS[2 * w], window + 1)
  end
end
return result
"""
)
# ARGV[1]: the member to take back from every window.
_RELEASE = (
    _UNITS
    + """
for w = 1, #KEYS / 2 do
  local removed = redis.call('ZREM', KEYS[2 * w - 1], ARGV[1]) == 1
  if removed and redis.call('EXISTS', KEYS[2 * w]) == 1 then
    redis.call('DECRBY', KEYS[2 * w], units(ARGV[1]))
  end
end
return 0
"""
)


def _window_keys(key: str, limits: Sequence[tuple[int, int]]) -> list[str]:
    """Per window: its log, then its running total."""
    return [name for _, window in limits for name in (f"{key}:{window}s", f"{key}:{window}s:used")]


def _member(token: str, quantity: int) -> str:
    return f"{token}:{quantity}"


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

    async def release(
        self, key: str, limits: Sequence[tuple[int, int]], quantity: int, token: str
    ) -> None:
        await self._release(keys=_window_keys(key, limits), args=[_member(token, quantity)])

    async def _run(
        self, key: str, limits: Sequence[tuple[int, int]], quantity: int, token: str, now: float
    ) -> list[WindowState]:
        pairs = [value for limit in limits for value in limit]
        arguments = [now, quantity, _member(token, quantity), *pairs]
        raw = await self._script(keys=_window_keys(key, limits), args=arguments)
        return [
            _state(limit, seconds, int(raw[2 * i]), float(raw[2 * i + 1]), now)
            for i, (limit, seconds) in enumerate(limits)
        ]


def _state(limit: int, seconds: int, used: int, oldest: float, now: float) -> WindowState:
    retry = math.ceil(oldest + seconds - now) if oldest >= 0 else 0
    return WindowState(limit, seconds, used, max(0, retry))
