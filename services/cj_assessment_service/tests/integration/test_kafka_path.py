"""The worker process on real PostgreSQL, Redis and Kafka: ELS requests delivered twice, essays
learnt from the file service's events, results published through the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any
from uuid import uuid4

import pytest
from aiokafka.errors import TopicAlreadyExistsError

from common_core.courses import CourseCode, Language
from common_core.events.cj import ELS_CJAssessmentRequestV1, EssayReference
from common_core.events.codec import encode_envelope, new_envelope
from common_core.events.registry import ProcessingEvent, topic_name
from huleedu_service_libs.kafka import KafkaBus, OutgoingMessage, envelope_headers
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.probes import wait_until
from huleedu_service_libs.testing.processes import free_port
from services.cj_assessment_service.config import load_service_settings
from services.cj_assessment_service.tests.integration.conftest import (
    TEACHER,
    Database,
    Externals,
    provisioned,
)
from services.cj_assessment_service.tests.support.fake_services import INTERNAL_KEY
from services.cj_assessment_service.worker_main import run_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]
OUTGOING = (
    ProcessingEvent.CJ_ASSESSMENT_STARTED,
    ProcessingEvent.CJ_ASSESSMENT_COMPLETED,
    ProcessingEvent.ASSESSMENT_RESULT,
    ProcessingEvent.CJ_ASSESSMENT_FAILED,
)


def request_for(externals: Externals, count: int) -> Any:
    essays = []
    for index in range(count):
        storage_id = f"els-{uuid4()}"
        externals.files.texts[storage_id] = f"Uppsats {index}. It has quality {index - 3}."
        essays.append(EssayReference(essay_id=uuid4(), text_storage_id=storage_id))
    payload = ELS_CJAssessmentRequestV1(
        batch_id=uuid4(),
        essays=essays,
        language=Language.SWEDISH,
        course_code=CourseCode.SV1,
        user_id=TEACHER,
    )
    return new_envelope(payload, source_service="essay_lifecycle_service", correlation_id=uuid4())


async def test_requests_and_essays_arrive_by_kafka_and_results_leave_by_the_relay(
    database_url: str,
    redis_url: str,
    externals: Externals,
    db: Database,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: KafkaTopics,
) -> None:
    requests_topic = await kafka_topics.create("cj-requests")
    essays_topic = await kafka_topics.create("essays-provisioned")
    removed_topic = await kafka_topics.create("files-removed")
    for event in OUTGOING:
        with contextlib.suppress(TopicAlreadyExistsError):
            await kafka_topics.create_named(topic_name(event))
    settings = load_service_settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ENVIRONMENT="testing",
        INTERNAL_API_KEY=INTERNAL_KEY,
        ENTITLEMENTS_URL=externals.urls["ENTITLEMENTS_URL"],
        FILE_SERVICE_URL=externals.urls["FILE_SERVICE_URL"],
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        KAFKA_ENABLE_IDEMPOTENCE=kafka_supports_idempotence,
        REQUEST_TOPIC=requests_topic,
        CONTENT_PROVISIONED_TOPIC=essays_topic,
        FILE_REMOVED_TOPIC=removed_topic,
        CONSUMER_GROUP_ID=f"cj-test-{uuid4().hex[:8]}",
        COMPARISONS_PER_ESSAY=6,
        MIN_COMPARISONS_PER_ESSAY=3,
        RUNNER_POLL_SECONDS=0.1,
        WORKER_METRICS_HOST="127.0.0.1",
        WORKER_METRICS_PORT=free_port(),
    )
    request = request_for(externals, 6)
    essay_event = provisioned(uuid4(), TEACHER, CourseCode.ENG5, "text-x", 0)
    producer = KafkaBus(kafka_bootstrap, "test-producer", kafka_supports_idempotence)
    await producer.start()
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop))
    try:
        request_message = OutgoingMessage(
            requests_topic, encode_envelope(request), None, envelope_headers(request)
        )
        essay_message = OutgoingMessage(
            essays_topic, encode_envelope(essay_event), None, envelope_headers(essay_event)
        )
        await producer.send_batch([request_message, request_message, essay_message])
        await producer.send_batch([request_message])

        async def finished() -> bool:
            state = await db.scalar(
                "SELECT state FROM assessments WHERE request_event_id = :e", e=request.event_id
            )
            return bool(state == "completed")

        await wait_until(finished)
        await wait_until(lambda: _essay_recorded(db, essay_event.data.file_upload_id))
        assert (
            await db.scalar(
                "SELECT count(*) FROM assessments WHERE batch_id = :b", b=request.data.batch_id
            )
            == 1
        )
        assessment_id = await db.scalar(
            "SELECT id FROM assessments WHERE request_event_id = :e", e=request.event_id
        )
        completed = await _published(
            kafka_topics, ProcessingEvent.CJ_ASSESSMENT_COMPLETED, assessment_id
        )
        results = await _published(kafka_topics, ProcessingEvent.ASSESSMENT_RESULT, assessment_id)
        assert len(completed) == 1
        assert len(results) == 1
        assert completed[0]["correlation_id"] == str(request.correlation_id)
        assert len(results[0]["data"]["essay_results"]) == 6
        await wait_until(lambda: _settled(externals))
        assert len(externals.entitlements.holds) == 1
        done = await db.scalar(
            "SELECT completed_comparisons FROM assessments WHERE id = :a", a=assessment_id
        )
        assert externals.entitlements.charged == done
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)
        await producer.stop()


async def _essay_recorded(db: Database, essay_id: Any) -> bool:
    return bool(await db.scalar("SELECT count(*) FROM essays WHERE essay_id = :e", e=essay_id))


async def _settled(externals: Externals) -> bool:
    return any(hold.released for hold in externals.entitlements.holds.values())


async def _published(
    topics: KafkaTopics, event: ProcessingEvent, assessment_id: Any
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        records = await topics.read(topic_name(event), count=10_000, timeout=2)
        mine = [
            json.loads(r.value)
            for r in records
            if json.loads(r.value)["data"].get("assessment_id") == str(assessment_id)
        ]
        if mine:
            return mine
    return []
