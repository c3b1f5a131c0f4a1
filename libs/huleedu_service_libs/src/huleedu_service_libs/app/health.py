"""`/healthz`: named dependency checks, each under its own timeout, run concurrently."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import redis.asyncio as redis
from aiokafka.client import AIOKafkaClient
from quart import Quart, Response, json
from quart_schema import hide

from huleedu_service_libs.logging_utils import create_service_logger

logger = create_service_logger(__name__)

Probe = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class HealthCheck:
    name: str
    probe: Probe


def redis_check(url: str) -> HealthCheck:
    # One client per event loop, reused: a new client per probe opened a connection each time,
    # and redis-py reads its package metadata for every new connection (about 1 ms here).
    clients: dict[asyncio.AbstractEventLoop, redis.Redis] = {}

    async def ping() -> None:
        loop = asyncio.get_running_loop()
        for stale in [other for other in clients if other is not loop and other.is_closed()]:
            del clients[stale]
        if loop not in clients:
            clients[loop] = redis.Redis.from_url(url)
        await clients[loop].ping()

    return HealthCheck("redis", ping)


def kafka_check(bootstrap_servers: str) -> HealthCheck:
    async def fetch_metadata() -> None:
        client = AIOKafkaClient(bootstrap_servers=bootstrap_servers)
        try:
            await client.bootstrap()
        finally:
            await client.close()

    return HealthCheck("kafka", fetch_metadata)


async def run_health_checks(
    checks: Sequence[HealthCheck], timeout_seconds: float
) -> dict[str, dict[str, Any]]:
    results = await asyncio.gather(*(_run_check(check, timeout_seconds) for check in checks))
    return {check.name: result for check, result in zip(checks, results, strict=True)}


def register_health_route(
    app: Quart, service_name: str, checks: Sequence[HealthCheck], timeout_seconds: float
) -> None:
    @hide
    async def healthz() -> Response:
        results = await run_health_checks(checks, timeout_seconds)
        failing = [name for name, result in results.items() if result["status"] != "ok"]
        status = HTTPStatus.SERVICE_UNAVAILABLE if failing else HTTPStatus.OK
        body = {
            "status": "unavailable" if failing else "ok",
            "service": service_name,
            "failing": failing,
            "checks": results,
        }
        return Response(json.dumps(body), status=status, mimetype="application/json")

    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])


async def _run_check(check: HealthCheck, timeout_seconds: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check.probe(), timeout_seconds)
    except TimeoutError:
        return _failure(check, started, f"no answer within {timeout_seconds}s")
    except Exception as error:
        return _failure(check, started, type(error).__name__)
    return {"status": "ok", "duration_ms": _elapsed_ms(started)}


def _failure(check: HealthCheck, started: float, reason: str) -> dict[str, Any]:
    logger.warning("health check failed", check=check.name, reason=reason)
    return {"status": "error", "error": reason, "duration_ms": _elapsed_ms(started)}


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
