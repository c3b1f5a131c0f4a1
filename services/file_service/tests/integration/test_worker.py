"""The worker on real PostgreSQL, Redis and Kafka (seed 003's scenarios): events are stored with
the state they announce, the relay publishes them, nothing is lost while Kafka is away, a failed
transaction leaves neither, metrics are recorded, and duplicates change nothing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from common_core.events.cj import CJAssessmentStartedV1
from common_core.events.codec import new_envelope
from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from services.file_service.config import Settings
from services.file_service.handlers.locking import LockBatch
from services.file_service.tests import documents as docs
from services.file_service.tests.integration.conftest import Database, new_batch, teacher
from services.file_service.tests.integration.worker_support import (
    ensure_topics,
    running_worker,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PROVISIONED = "huleedu.file.essay.content_provisioned.v1"
ADDED = "huleedu.file.batch.file_added.v1"
OUTCOMES = ("huleedu.file.essay.content_provisioned.v1", "huleedu.file.essay.validation_failed.v1")


@pytest.fixture
def settings_overrides(kafka_bootstrap: str, kafka_supports_idempotence: bool) -> dict[str, Any]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": kafka_supports_idempotence,
        "LOCK_CONSUMER_GROUP": f"file-lock-{uuid4().hex[:8]}",
        "WORKER_POLL_INTERVAL_SECONDS": 0.2,
        "EXTRACTION_PROCESSES": 1,
    }


async def _upload(client: httpx.AsyncClient, batch_id: str, count: int, seed: int = 0) -> list[str]:
    makers: list[Callable[[str], bytes]] = [str.encode, docs.docx_bytes, docs.pdf_bytes]
    files = [
        ("files", (f"essay-{i}", makers[i % 3](docs.essay_text(200, seed=seed * 1000 + i))))
        for i in range(count)
    ]
    files.append(("files", ("short.txt", f"Too short {seed}.".encode())))
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files", files=files, headers=teacher()
    )
    assert response.status_code == 202, response.text
    return [f["file_upload_id"] for f in response.json()["files"]]


def _outcome_counts(rows: list[Any]) -> Counter[str]:
    return Counter(
        json.loads(row.data)["data"]["file_upload_id"] for row in rows if row.event_type in OUTCOMES
    )


async def _published(database: Database) -> int:
    return int(
        await database.scalar("SELECT count(*) FROM event_outbox WHERE published_at IS NOT NULL")
    )


async def test_files_are_processed_and_their_events_reach_kafka(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    await ensure_topics(kafka_bootstrap)
    batch_id = await new_batch(client)
    file_ids = await _upload(client, batch_id, count=6)

    async with running_worker(settings) as registry:
        await wait_until(lambda: _all_published(database, 2 * len(file_ids)), 60, "the relay")

    rows = await database.outbox()
    assert _outcome_counts(rows) == dict.fromkeys(file_ids, 1)
    records = await kafka_topics.read(PROVISIONED, count=10_000, timeout=3)
    mine = [
        json.loads(r.value) for r in records if json.loads(r.value)["data"]["batch_id"] == batch_id
    ]
    assert sorted(e["data"]["file_upload_id"] for e in mine) == sorted(file_ids[:-1])
    stored = {json.loads(r.data)["event_id"] for r in rows if r.event_type == PROVISIONED}
    assert {e["event_id"] for e in mine} == stored  # the stored envelope, published verbatim
    assert {
        r.key.decode() for r in records if json.loads(r.value)["data"]["batch_id"] == batch_id
    } == {batch_id}
    published = registry.get_sample_value(
        "huleedu_outbox_published_total", {"service": "file_service", "event_type": ADDED}
    )
    assert published == len(file_ids)
    processed = registry.get_sample_value(
        "file_service_files_processed_total", {"file_format": "txt", "outcome": "validation_failed"}
    )
    assert processed == 1


async def _all_published(database: Database, expected: int) -> bool:
    return await _published(database) >= expected


async def test_while_kafka_is_away_files_are_processed_and_events_wait_in_the_outbox(
    client: httpx.AsyncClient, database: Database, settings: Settings, kafka_bootstrap: str
) -> None:
    await ensure_topics(kafka_bootstrap)
    batch_id = await new_batch(client)
    file_ids = await _upload(client, batch_id, count=3, seed=1)
    unreachable = settings.model_copy(update={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"})

    async with running_worker(unreachable):
        await wait_until(lambda: _finished(database, len(file_ids)), 60, "processing")

    assert _outcome_counts(await database.outbox()) == dict.fromkeys(file_ids, 1)
    assert await _published(database) == 0

    async with running_worker(settings):  # Kafka is back
        await wait_until(lambda: _all_published(database, 2 * len(file_ids)), 60, "the relay")
    assert _outcome_counts(await database.outbox()) == dict.fromkeys(file_ids, 1)


async def _finished(database: Database, expected: int) -> bool:
    done = await database.scalar(
        "SELECT count(*) FROM file_uploads WHERE status IN ('provisioned', 'validation_failed')"
    )
    return int(done) >= expected


async def test_an_assessment_start_locks_the_batch(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
) -> None:
    await ensure_topics(kafka_bootstrap)
    batch_id = await new_batch(client)
    started = CJAssessmentStartedV1(
        assessment_id=uuid4(),
        batch_id=UUID(batch_id),
        user_id="teacher-1",
        essay_count=2,
        planned_comparisons=10,
    )
    envelope = new_envelope(started, source_service="cj_assessment_service", correlation_id=uuid4())
    bus = KafkaBus(kafka_bootstrap, "cj-test", enable_idempotence=kafka_supports_idempotence)
    await bus.start()
    try:
        await bus.publish(envelope, key=batch_id)
        await bus.publish(envelope, key=batch_id)  # redelivered: changes nothing
    finally:
        await bus.stop()

    async with running_worker(settings):
        await wait_until(lambda: _locked(database, batch_id), 60, "the lock")

    locked_by = await database.scalar(
        "SELECT locking_assessment_id FROM file_batches WHERE batch_id = :id", id=UUID(batch_id)
    )
    assert locked_by == started.assessment_id
    files = [("files", ("late.txt", docs.essay_text(100).encode()))]
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files", files=files, headers=teacher()
    )
    assert (response.status_code, response.json()["error_code"]) == (409, "BATCH_LOCKED")


async def _locked(database: Database, batch_id: str) -> bool:
    locked = await database.scalar(
        "SELECT locked_at IS NOT NULL FROM file_batches WHERE batch_id = :id", id=UUID(batch_id)
    )
    return bool(locked)


async def test_a_repeated_lock_keeps_the_first_assessment(
    client: httpx.AsyncClient, database: Database, lock_batch: LockBatch
) -> None:
    batch_id = UUID(await new_batch(client))
    first, second = uuid4(), uuid4()
    assert await lock_batch(batch_id, first) is True
    assert await lock_batch(batch_id, second) is False
    assert await lock_batch(batch_id, first) is False
    stored = await database.scalar(
        "SELECT locking_assessment_id FROM file_batches WHERE batch_id = :id", id=batch_id
    )
    assert stored == first
