"""The worker process on real PostgreSQL, Redis and Kafka: one /metrics endpoint with the process,
outbox and consumer metrics, a liveness probe, and a non-zero exit when its consumer dies."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.processes import free_port
from services.cj_assessment_service.config import Settings
from services.cj_assessment_service.worker_main import run_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPOSITORY_ROOT = Path(__file__).parents[4]
ENV_PREFIX = "CJ_ASSESSMENT_SERVICE_"
# Kafka refuses a topic name with spaces: the consumer never gets its metadata (after the
# client's 40 s request timeout) and its job ends.
UNSUBSCRIBABLE_TOPIC = "not a topic name!"
JOBS = {"outbox-relay": "running", "consumers": "running", "assessments": "running"}


@pytest.fixture
async def settings_overrides(
    kafka_bootstrap: str, kafka_supports_idempotence: bool, kafka_topics: KafkaTopics
) -> dict[str, Any]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": kafka_supports_idempotence,
        "REQUEST_TOPIC": await kafka_topics.create("cj-requests"),
        "CONTENT_PROVISIONED_TOPIC": await kafka_topics.create("cj-essays"),
        "FILE_REMOVED_TOPIC": await kafka_topics.create("cj-removed"),
        "CONSUMER_GROUP_ID": f"cj-worker-{uuid4().hex[:8]}",
        "WORKER_METRICS_HOST": "127.0.0.1",
        "WORKER_METRICS_PORT": free_port(),
        "WORKER_DRAIN_SECONDS": 10.0,
    }


async def test_the_worker_serves_process_outbox_and_consumer_metrics_and_liveness(
    settings: Settings,
) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop))
    base_url = f"http://127.0.0.1:{settings.WORKER_METRICS_PORT}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
            health = await _until_alive(client, running)
            metrics = (await client.get("/metrics")).text
            missing = await client.get("/nothing")
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=60)  # a clean stop: no error raised

    assert health.json() == {"service": "cj_assessment_service", "status": "ok", "jobs": JOBS}
    assert "process_cpu_seconds_total" in metrics
    assert "python_gc_collections_total" in metrics
    assert "# TYPE huleedu_outbox_unpublished_events gauge" in metrics
    assert "# TYPE huleedu_outbox_published_total counter" in metrics
    assert "# TYPE kafka_messages_consumed_total counter" in metrics
    assert "# TYPE kafka_consumer_lag_records gauge" in metrics
    assert missing.status_code == 404


async def test_the_worker_process_exits_non_zero_when_its_consumer_dies(
    settings: Settings,
) -> None:
    environment = {**os.environ, **_environment(settings, REQUEST_TOPIC=UNSUBSCRIBABLE_TOPIC)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cj_assessment_service.worker_main",
        cwd=REPOSITORY_ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail("the worker kept running after its consumer died")
    output = (stdout + stderr).decode(errors="replace")
    assert process.returncode not in (0, None), output
    assert "WorkerLoopEndedError: worker job ended without being stopped: consumers" in output


async def _until_alive(
    client: httpx.AsyncClient, running: asyncio.Task[None], attempts: int = 300
) -> httpx.Response:
    for _ in range(attempts):
        if running.done():
            running.result()  # the worker failed to start: raise why
        try:
            response = await client.get("/healthz")
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError("the worker never reported itself alive")


def _environment(settings: Settings, **overrides: object) -> dict[str, str]:
    names = [
        "DATABASE_URL",
        "REDIS_URL",
        "ENVIRONMENT",
        "ENTITLEMENTS_URL",
        "FILE_SERVICE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_ENABLE_IDEMPOTENCE",
        "REQUEST_TOPIC",
        "CONTENT_PROVISIONED_TOPIC",
        "FILE_REMOVED_TOPIC",
        "CONSUMER_GROUP_ID",
        "WORKER_METRICS_HOST",
        "WORKER_METRICS_PORT",
    ]
    values: dict[str, object] = {name: getattr(settings, name) for name in names} | overrides
    values["INTERNAL_API_KEY"] = settings.INTERNAL_API_KEY.get_secret_value()
    return {ENV_PREFIX + name: _env_value(value) for name, value in values.items()}


def _env_value(value: object) -> str:
    text = getattr(value, "value", value)  # enums by their value
    return str(text).lower() if isinstance(text, bool) else str(text)
