"""The worker under the library's supervisor, on real PostgreSQL, Redis and Kafka: one endpoint
serves the process, outbox and consumer metrics and the liveness probe; while Kafka is away the
Kafka jobs wait, alive, and files are processed; a consumer that dies ends the process non-zero."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from huleedu_service_libs.kafka.bus import DEFAULT_MAX_REQUEST_SIZE, RECORD_OVERHEAD
from huleedu_service_libs.testing.processes import free_port
from services.file_service.config import Settings
from services.file_service.tests import documents as docs
from services.file_service.tests.integration.conftest import Database, new_batch, teacher
from services.file_service.tests.integration.worker_support import (
    ensure_topics,
    running_worker,
    wait_until,
    worker_environment,
    worker_process,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]
JOBS_RUNNING = {"processing": "running", "relay": "running", "lock-consumer": "running"}
METRIC_FAMILIES = (
    "process_cpu_seconds_total",  # the default process and Python collectors
    "python_gc_objects_collected_total",
    "huleedu_outbox_published_total",  # the relay's
    "huleedu_outbox_dead_lettered_total",
    "kafka_messages_consumed_total",  # the lock consumer's
    "kafka_consumer_lag_records",
    "file_service_files_processed_total",  # the service's own
)


@pytest.fixture
def settings_overrides(kafka_bootstrap: str, kafka_supports_idempotence: bool) -> dict[str, Any]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": kafka_supports_idempotence,
        "LOCK_CONSUMER_GROUP": f"file-lock-{uuid4().hex[:8]}",
        "WORKER_POLL_INTERVAL_SECONDS": 0.2,
        "EXTRACTION_PROCESSES": 1,
    }


async def _get(port: int, path: str) -> tuple[int, str]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        response = await http.get(path, timeout=5)
    return response.status_code, response.text


async def _serves(port: int, *families: str) -> bool:
    try:
        _, metrics = await _get(port, "/metrics")
    except httpx.ConnectError:  # the probe is not listening yet
        return False
    return all(family in metrics for family in families)


async def test_one_endpoint_serves_process_outbox_and_consumer_metrics_and_liveness(
    settings: Settings, kafka_bootstrap: str
) -> None:
    await ensure_topics(kafka_bootstrap)
    port = free_port()

    async with running_worker(settings.model_copy(update={"WORKER_METRICS_PORT": port})):
        await wait_until(lambda: _serves(port, *METRIC_FAMILIES), 60, "every metric family")
        status, metrics = await _get(port, "/metrics")
        health_status, health = await _get(port, "/healthz")

    assert status == 200
    assert [family for family in METRIC_FAMILIES if family not in metrics] == []
    assert (health_status, json.loads(health)["jobs"]) == (200, JOBS_RUNNING)


async def _finished(database: Database) -> bool:
    done = await database.scalar(
        "SELECT count(*) FROM file_uploads WHERE status IN ('provisioned', 'validation_failed')"
    )
    return int(done) == 1


async def test_while_kafka_is_away_its_jobs_wait_alive_and_files_are_processed(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    batch_id = await new_batch(client)
    files = [("files", ("a.txt", docs.essay_text(100).encode()))]
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files", files=files, headers=teacher()
    )
    assert response.status_code == 202, response.text
    port = free_port()
    away = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "WORKER_METRICS_PORT": port}

    async with running_worker(settings.model_copy(update=away)):
        await wait_until(lambda: _finished(database), 60, "processing")
        health_status, health = await _get(port, "/healthz")
        _, metrics = await _get(port, "/metrics")

    assert (health_status, json.loads(health)["jobs"]) == (200, JOBS_RUNNING)
    assert "kafka_messages_consumed" not in metrics  # the consumer is still waiting for Kafka


async def _topic_with_a_record_too_large_to_dead_letter(bootstrap: str) -> str:
    """A record the consumer cannot decode, whose dead-letter copy (the same bytes plus the
    error headers) exceeds the producer's request size: the consumer cannot move past it."""
    topic = f"file-service-test.assessment-started.{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, max_request_size=2 * DEFAULT_MAX_REQUEST_SIZE
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"x" * (DEFAULT_MAX_REQUEST_SIZE - RECORD_OVERHEAD))
    finally:
        await producer.stop()
    return topic


async def test_the_worker_process_exits_non_zero_when_its_consumer_dies(
    settings: Settings, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = await _topic_with_a_record_too_large_to_dead_letter(kafka_bootstrap)
    environment = worker_environment(
        settings, ASSESSMENT_STARTED_TOPIC=topic, LOCK_CONSUMER_GROUP=f"dying-{topic}"
    )
    log = tmp_path / "worker.log"

    with worker_process(environment, log) as process:
        exit_code = await asyncio.to_thread(process.wait, 180)

    output = log.read_text()
    assert exit_code == 1, output
    assert "WorkerLoopEndedError: worker job ended without being stopped: lock-consumer" in output
    assert "MessageSizeTooLargeError" in output
