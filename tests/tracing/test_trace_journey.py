"""One connected trace through three services, on the real test servers, in this process.

The teacher's CJ request creates the assessment; the CJ worker's first step of it asks
entitlements for the credit hold over HTTP, and in the same transaction as its state change
writes CJAssessmentStartedV1 to the outbox; the CJ relay publishes it; the file service's lock
consumer handles it. Every span of that step's trace must be present with its parent, and the
trace must reach entitlements_service and file_service from cj_assessment_service.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
import uvicorn
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from dishka import AsyncContainer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from quart import Quart
from sqlalchemy.ext.asyncio import AsyncEngine

from common_core.courses import CourseCode
from huleedu_service_libs.config import SecureServiceSettings, load_settings
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.kafka import EventConsumer
from huleedu_service_libs.observability import setup_tracing
from huleedu_service_libs.outbox import EventRelayWorker
from services.cj_assessment_service.app import create_app as cj_app
from services.cj_assessment_service.config import SERVICE_NAME as CJ
from services.cj_assessment_service.config import Settings as CJSettings
from services.cj_assessment_service.handlers.essays import RecordProvisionedEssay
from services.cj_assessment_service.startup_setup import build_worker_container as cj_worker
from services.cj_assessment_service.tests.integration.conftest import provisioned
from services.cj_assessment_service.workers.assessments import AssessmentWorker
from services.cj_assessment_service.workers.runner import AssessmentRunner
from services.entitlements_service.app import create_app as entitlements_app
from services.entitlements_service.config import SERVICE_NAME as ENTITLEMENTS
from services.entitlements_service.config import Settings as EntitlementsSettings
from services.file_service.config import SERVICE_NAME as FILES
from services.file_service.config import Settings as FileSettings
from services.file_service.startup_setup import build_worker_container as file_worker
from services.file_service.workers.lock_consumer import lock_consumer

# Three migrated databases, a served app and a consumer-group join: minutes on a busy machine.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]
REPO = Path(__file__).parents[2]
KEY = "journey-internal-key-0123456789"
TEACHER = "teacher-traced"
TRACING = {"TRACING_ENABLED": True, "ENVIRONMENT": "testing", "INTERNAL_API_KEY": KEY}
S = TypeVar("S", bound=SecureServiceSettings)
STARTED_TOPIC = "huleedu.cj.assessment.started.v1"


@pytest.fixture
async def shared(
    redis_url: str, kafka_bootstrap: str, kafka_supports_idempotence: bool
) -> dict[str, Any]:
    """The settings every service of the journey shares: the servers, tracing on."""
    await _ensure_topic(kafka_bootstrap, STARTED_TOPIC)
    return TRACING | {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": kafka_supports_idempotence,
        "REDIS_URL": redis_url,
    }


@pytest.fixture
def traced(
    migrated_database: Callable[[Path], Awaitable[str]],
    shared: dict[str, Any],
    spans: InMemorySpanExporter,
) -> Callable[..., Awaitable[Any]]:
    """A service's settings on its own migrated database, its tracing set up."""

    async def settings_of(name: str, settings_class: type[S], **values: Any) -> S:
        database = await migrated_database(REPO / "services" / name)
        settings = load_settings(settings_class, DATABASE_URL=database, **shared, **values)
        setup_tracing(name, settings)
        return settings

    return settings_of


async def _ensure_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def _serving(app: Quart) -> AsyncIterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def _unparented(trace: list[ReadableSpan]) -> list[str]:
    """The spans whose parent is not in the trace (the root alone, when it is connected)."""
    ids = {span.context.span_id for span in trace}
    return [span.name for span in trace if span.parent is None or span.parent.span_id not in ids]


@asynccontextmanager
async def _worker(
    settings: SecureServiceSettings, build: Callable[..., AsyncContainer]
) -> AsyncIterator[AsyncContainer]:
    engine: AsyncEngine = build_engine(settings)
    container = build(settings, engine)
    try:
        yield container
    finally:
        await container.close()
        await engine.dispose()


async def _provision(container: AsyncContainer, batch_id: UUID, count: int) -> None:
    """The file service's EssayContentProvisionedV1 events, as CJ's consumer handles them."""
    record = await container.get(RecordProvisionedEssay)
    for index in range(count):
        await record(provisioned(batch_id, TEACHER, CourseCode.ENG6, f"text-{uuid4()}", index))


async def _request_assessment(settings: CJSettings, batch_id: UUID) -> None:
    app = cj_app(settings)
    async with app.test_app():
        response = await app.test_client().post(
            "/v1/assessments/",
            json={"batch_id": str(batch_id), "comparisons_per_essay": 2},
            headers={"X-User-ID": TEACHER},
        )
    assert response.status_code == 202, await response.get_data(as_text=True)


async def _first_step(container: AsyncContainer) -> None:
    """The worker claims the assessment and runs its first step (the credit hold)."""
    worker = await container.get(AssessmentWorker)
    [assessment_id] = await worker.claim(1)
    await (await container.get(AssessmentRunner)).step(assessment_id, worker.owner)
    report = await (await container.get(EventRelayWorker)).publish_due_batch()
    assert report.published >= 1


async def _consumed(consumer: EventConsumer, spans: InMemorySpanExporter) -> ReadableSpan:
    """Runs the consumer until its span of the started event has ended."""
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(600):
            found = [
                span
                for span in spans.get_finished_spans()
                if span.kind is SpanKind.CONSUMER and span.name == f"process {STARTED_TOPIC}"
            ]
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        raise AssertionError("the file service never handled the started event")
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=30)


def _service(span: ReadableSpan) -> object:
    return span.resource.attributes["service.name"]


async def test_a_cj_step_is_one_trace_through_entitlements_kafka_and_the_file_service(
    spans: InMemorySpanExporter, traced: Callable[..., Awaitable[Any]]
) -> None:
    entitlements = await traced(ENTITLEMENTS, EntitlementsSettings)
    files = await traced(FILES, FileSettings, LOCK_CONSUMER_GROUP=f"journey-{uuid4()}")
    batch_id = uuid4()
    async with _serving(entitlements_app(entitlements)) as entitlements_url:
        cj = await traced(CJ, CJSettings, ENTITLEMENTS_URL=entitlements_url)
        async with _worker(cj, cj_worker) as cj_container:
            await _provision(cj_container, batch_id, count=3)
            await _request_assessment(cj, batch_id)
            await _first_step(cj_container)
        async with _worker(files, file_worker) as file_container:
            consumed = await _consumed(await lock_consumer(file_container, files), spans)

    trace_id = consumed.context.trace_id
    trace = [span for span in spans.get_finished_spans() if span.context.trace_id == trace_id]
    assert _unparented(trace) == ["cj.assessment.step"]
    assert {_service(span) for span in trace} == {CJ, ENTITLEMENTS, FILES}
    by_id = {span.context.span_id: span for span in trace}
    [hold] = [s for s in trace if s.name == "POST /internal/v1/entitlements/authorizations"]
    assert (_service(hold), hold.kind) == (ENTITLEMENTS, SpanKind.SERVER)
    assert hold.parent is not None
    caller = by_id[hold.parent.span_id]
    assert (_service(caller), caller.kind) == (CJ, SpanKind.CLIENT)
    assert consumed.parent is not None
    assert by_id[consumed.parent.span_id].name == "cj.assessment.step"
