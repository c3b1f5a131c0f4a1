"""The worker process on the real servers: one port serves the process, outbox and consumer
metrics and the liveness of its jobs; a consumer that dies ends the process non-zero."""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from common_core.events.codec import encode_envelope, new_envelope
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.kafka import KafkaBus, OutgoingMessage, envelope_headers
from huleedu_service_libs.testing.processes import free_port
from services.class_management_service.config import Settings
from services.class_management_service.domain.commands import CreateClass
from services.class_management_service.tests.fakes import ManualClock
from services.class_management_service.tests.unit.matching_setup import suggestions_event
from services.class_management_service.tests.wiring import sql_container, use_cases_of
from services.class_management_service.worker_main import run_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).parents[4]
CLASS_CREATED = "huleedu.class_management.class.created.v1"
JOBS = {"author-matches-consumer", "outbox-relay", "association-timeout-schedule"}


@pytest.fixture(autouse=True)
def correlation() -> Iterator[None]:
    with correlation_scope(CorrelationContext.generate()):
        yield


@pytest.fixture
async def running_worker(worker_settings: Settings) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(worker_settings, stop))
    yield task
    stop.set()
    await asyncio.wait_for(task, 30)  # a requested stop returns: no WorkerLoopEndedError


async def _get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: worker\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def _metrics_until(port: int, *lines: str, timeout: float = 30.0) -> str:
    """The /metrics text once it holds every line (a worker needs a moment to start)."""
    deadline, text = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        try:
            text = (await _get(port, "/metrics"))[1].decode()
        except OSError:  # not listening yet
            text = ""
        if all(line in text for line in lines):
            return text
        await asyncio.sleep(0.2)
    missing = [line for line in lines if line not in text]
    raise AssertionError(f"/metrics never showed {missing}")


async def _create_class_and_suggest(settings: Settings) -> None:
    async with (
        sql_container(settings, ManualClock()) as container,
        use_cases_of(container) as use_cases,
    ):
        created = await use_cases.classes.create("teacher-1", CreateClass("9A", ["ENG5"]))
    event = suggestions_event(uuid4(), created.school_class.id, [(uuid4(), None, 0.0)])
    envelope = new_envelope(event, source_service="nlp_service", correlation_id=uuid4())
    topic = settings.AUTHOR_MATCHES_TOPIC
    message = OutgoingMessage(topic, encode_envelope(envelope), None, envelope_headers(envelope))
    bus = KafkaBus(
        settings.KAFKA_BOOTSTRAP_SERVERS, "nlp_service", settings.KAFKA_ENABLE_IDEMPOTENCE
    )
    await bus.start()
    try:
        assert await bus.send_batch([message]) == [None]
    finally:
        await bus.stop()


async def test_one_port_serves_process_outbox_and_consumer_metrics_and_liveness(
    worker_settings: Settings, running_worker: asyncio.Task[None]
) -> None:
    port = worker_settings.WORKER_METRICS_PORT
    await _metrics_until(port, "process_cpu_seconds_total")
    status, body = await _get(port, "/healthz")
    assert (status, json.loads(body)["jobs"]) == (200, dict.fromkeys(JOBS, "running"))

    await _create_class_and_suggest(worker_settings)

    topic = worker_settings.AUTHOR_MATCHES_TOPIC
    text = await _metrics_until(
        port,
        f'kafka_messages_consumed_total{{topic="{topic}"}} 1.0',
        'huleedu_outbox_published_total{event_type="'
        + CLASS_CREATED
        + '",service="class_management_service"} 1.0',
    )
    assert "python_gc_objects_collected_total" in text
    assert "huleedu_notifications_failed_total" in text  # the notifier's
    assert not running_worker.done()


def test_the_worker_process_exits_non_zero_when_its_consumer_dies(
    database_url: str, redis_url: str, kafka_bootstrap: str
) -> None:
    prefix = "CLASS_MANAGEMENT_SERVICE_"
    environment = os.environ | {
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}REDIS_URL": redis_url,
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        f"{prefix}KAFKA_ENABLE_IDEMPOTENCE": "false",
        f"{prefix}ENVIRONMENT": "testing",
        f"{prefix}WORKER_METRICS_HOST": "127.0.0.1",
        f"{prefix}WORKER_METRICS_PORT": str(free_port()),
        # A topic no broker accepts: the consumer cannot subscribe and its loop ends.
        f"{prefix}AUTHOR_MATCHES_TOPIC": "not a topic: spaces and * are illegal",
    }
    worker = subprocess.run(
        [sys.executable, "-m", "services.class_management_service.worker_main"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )

    assert worker.returncode != 0
    assert "WorkerLoopEndedError" in worker.stderr
    assert "author-matches-consumer" in worker.stderr
