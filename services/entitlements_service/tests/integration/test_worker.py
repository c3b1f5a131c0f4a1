"""The worker process on real PostgreSQL, Redis and Kafka: exactly-once charging and the outbox
relay, the one /metrics endpoint and liveness of the process, and its end when a loop dies."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import redis.asyncio as redis_asyncio
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from common_core.domain_enums import CreditSubjectType
from common_core.events.codec import encode_envelope, new_envelope
from common_core.events.entitlements import ResourceConsumptionV1
from common_core.events.registry import ProcessingEvent, topic_name
from common_core.timestamps import utc_now
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.kafka import KafkaBus, OutgoingMessage, envelope_headers
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.probes import wait_until
from huleedu_service_libs.testing.processes import free_port
from huleedu_service_libs.testing.proxy import TcpProxy
from huleedu_service_libs.worker import WorkerLoopEndedError, serve_worker
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.handlers.admin import Adjustment, Admin
from services.entitlements_service.startup_setup import (
    build_container,
    build_worker_container,
    load_policies,
)
from services.entitlements_service.tests.support.fixtures import settings_for
from services.entitlements_service.tests.support.paths import SERVICE_DIR
from services.entitlements_service.worker_main import run_worker, worker_jobs

pytestmark = [pytest.mark.integration, pytest.mark.slow]
USAGE_TOPIC = topic_name(ProcessingEvent.USAGE_RECORDED)


async def _wait_for(condition: Callable[[], Awaitable[bool]]) -> None:
    await wait_until(condition, timeout=40.0)


@dataclass
class Worker:
    settings: Settings
    producer: KafkaBus

    @property
    def topic(self) -> str:
        return self.settings.RESOURCE_CONSUMPTION_TOPIC

    async def get(self, path: str) -> httpx.Response:
        url = f"http://127.0.0.1:{self.settings.WORKER_METRICS_PORT}{path}"
        async with httpx.AsyncClient() as client:
            return await client.get(url, timeout=5)

    async def sample(self, name: str, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels`."""
        body = (await self.get("/metrics")).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(body)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    async def consumed(self, count: int) -> bool:
        return await self.sample("kafka_messages_consumed_total", topic=self.topic) >= count

    async def report(self, envelope: Any) -> None:
        message = OutgoingMessage(
            self.topic, encode_envelope(envelope), b"t1", envelope_headers(envelope)
        )
        await self.producer.send_batch([message])


@pytest.fixture(name="worker_settings")
async def worker_settings_fixture(
    migrated_database: Callable[[Path], Awaitable[str]],
    redis_url: str,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: KafkaTopics,
) -> Callable[..., Awaitable[Settings]]:
    async def make(**overrides: Any) -> Settings:
        values = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "KAFKA_ENABLE_IDEMPOTENCE": kafka_supports_idempotence,
            "RESOURCE_CONSUMPTION_TOPIC": await kafka_topics.create("resource-consumption"),
            "CONSUMER_GROUP_ID": f"entitlements-test-{uuid4().hex[:8]}",
            "WORKER_METRICS_HOST": "127.0.0.1",
            "WORKER_METRICS_PORT": free_port(),
        }
        return settings_for(await migrated_database(SERVICE_DIR), redis_url, **values | overrides)

    with contextlib.suppress(TopicAlreadyExistsError):
        await kafka_topics.create_named(USAGE_TOPIC)
    return make


@contextlib.asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[Worker]:
    """The real worker (`run_worker`) until the block ends, then stopped as SIGTERM stops it."""
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop))
    producer = KafkaBus(settings.KAFKA_BOOTSTRAP_SERVERS, "test-producer", False)
    await producer.start()
    worker = Worker(settings, producer)
    try:
        await _wait_for(lambda: _answers(worker, running))
        yield worker
    finally:
        stop.set()
        await producer.stop()
        await running  # a clean stop returns; a job that had died raises here


async def _answers(worker: Worker, running: asyncio.Task[None]) -> bool:
    if running.done():
        running.result()  # the worker ended early: its error is the test's failure
    with contextlib.suppress(httpx.TransportError):
        return (await worker.get("/healthz")).status_code == 200
    return False


def _reported(correlation: UUID, quantity: int = 7) -> Any:
    payload = ResourceConsumptionV1(
        user_id="t1",
        metric="cj_comparison",
        quantity=quantity,
        idempotency_key=f"cj-batch-{uuid4().hex}",
        resource_id="assessment-1",
        consumed_at=utc_now(),
    )
    return new_envelope(payload, source_service="cj_assessment_service", correlation_id=correlation)


async def _grant(settings: Settings, credits: int) -> None:
    engine = build_engine(settings)
    container = build_container(settings, engine, load_policies(settings), http=False)
    try:
        admin = await container.get(Admin)
        await admin.adjust(Adjustment(Subject.user("t1"), "test", "grant", delta=credits), uuid4())
    finally:
        await container.close()
        await engine.dispose()


async def _ledger(settings: Settings) -> tuple[list[int], int]:
    engine = build_engine(settings)
    try:
        async with engine.connect() as connection:
            charges = await connection.execute(
                text("SELECT delta FROM credit_ledger WHERE reason = 'consumption'")
            )
            balance = await connection.execute(
                text("SELECT balance FROM credit_balances WHERE subject_id = 't1'")
            )
            return [row.delta for row in charges], balance.scalar_one()
    finally:
        await engine.dispose()


async def test_a_consumption_event_delivered_three_times_is_charged_once_and_announced(
    worker_settings: Callable[..., Awaitable[Settings]], redis_url: str, kafka_topics: KafkaTopics
) -> None:
    settings = await worker_settings()
    await _grant(settings, 100)
    correlation = uuid4()
    event = _reported(correlation)
    async with running_worker(settings) as worker:
        await worker.report(event)
        await _wait_for(lambda: worker.consumed(1))
        flusher = redis_asyncio.Redis.from_url(redis_url)
        await flusher.flushdb()  # whatever Redis knew is gone; the database inbox remains
        await flusher.aclose()
        await worker.report(event)
        await worker.report(event)
        await _wait_for(lambda: worker.consumed(3))

        charges, balance = await _ledger(settings)
        assert charges == [-7]
        assert balance == 50 + 100 - 7
        charged = await worker.sample("entitlements_charges_total", result="charged", payer="user")
        assert charged == 1  # the redeliveries are skipped by the inbox, not charges
        assert await worker.sample("entitlements_credits_charged_total", payer="user") == 7

        records = await kafka_topics.read(USAGE_TOPIC, count=1000, timeout=15)
    mine = [json.loads(r.value) for r in records if _correlation(r.value) == str(correlation)]
    assert len(mine) == 1
    assert mine[0]["data"]["credits_charged"] == 7
    assert mine[0]["data"]["charged_subject_type"] == CreditSubjectType.USER.value


async def test_the_worker_serves_process_outbox_and_consumer_metrics_and_its_liveness(
    worker_settings: Callable[..., Awaitable[Settings]],
) -> None:
    settings = await worker_settings()
    await _grant(settings, 100)
    async with running_worker(settings) as worker:
        await worker.report(_reported(uuid4(), quantity=2))
        await _wait_for(lambda: worker.consumed(1))
        await _wait_for(lambda: _published(worker, USAGE_TOPIC, 1))

        families = {
            family.name
            for family in text_string_to_metric_families((await worker.get("/metrics")).text)
        }
        liveness = await worker.get("/healthz")
    assert {"process_cpu_seconds", "python_gc_objects_collected", "python_info"} <= families
    assert {"kafka_messages_consumed", "kafka_consumer_lag_records"} <= families
    assert {"huleedu_outbox_published", "huleedu_outbox_unpublished_events"} <= families
    assert {"huleedu_db_pool_checked_out_connections", "entitlements_charges"} <= families
    assert "huleedu_db_statement_duration_seconds" in families
    assert liveness.status_code == 200
    assert liveness.json() == {
        "service": SERVICE_NAME,
        "status": "ok",
        "jobs": {
            "outbox-relay": "running",
            "resource-consumption": "running",
            "hold-expiry": "running",
        },
    }


async def _published(worker: Worker, event_type: str, count: int) -> bool:
    published = await worker.sample(
        "huleedu_outbox_published_total", service=SERVICE_NAME, event_type=event_type
    )
    return published >= count


async def test_the_worker_ends_with_an_error_when_its_consumer_dies(
    worker_settings: Callable[..., Awaitable[Settings]], kafka_bootstrap: str
) -> None:
    proxy = TcpProxy.in_front_of(kafka_bootstrap)
    await proxy.start()
    settings = await worker_settings(KAFKA_BOOTSTRAP_SERVERS=proxy.address)
    engine = build_engine(settings)
    container = build_worker_container(settings, engine)
    await container.get(EventRelayWorker)  # its producer is connected to the broker
    await proxy.stop()  # the consumer, starting after it, finds no broker
    serving = serve_worker(SERVICE_NAME, container, engine, worker_jobs, asyncio.Event())
    with pytest.raises(WorkerLoopEndedError, match="resource-consumption") as ended:
        await asyncio.wait_for(serving, timeout=60)  # it closes the container and the engine
    assert isinstance(ended.value.__cause__, KafkaConnectionError)


def _correlation(raw: bytes) -> str | None:
    try:
        return str(json.loads(raw).get("correlation_id"))
    except ValueError:
        return None
