"""SIGKILL the worker process while files are in progress; after a restart every file is
finished, each with exactly one outcome event in the outbox and on Kafka."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from services.file_service.config import Settings
from services.file_service.tests import documents as docs
from services.file_service.tests.integration.conftest import Database, new_batch, teacher
from services.file_service.tests.integration.test_worker import OUTCOMES, _outcome_counts
from services.file_service.tests.integration.worker_support import (
    ensure_topics,
    wait_until,
    worker_environment,
    worker_process,
)

# Two worker processes, PDF extraction and a 180 s settle wait: more than the default timeout.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(360)]
FILES = 36
# An hour: the restarted worker can only finish in time if the dead worker's liveness lock,
# not its lease, freed the claims.
LEASE_SECONDS = 3600


@pytest.fixture
def settings_overrides(kafka_bootstrap: str, kafka_supports_idempotence: bool) -> dict[str, Any]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": kafka_supports_idempotence,
        "MAX_FILES_PER_REQUEST": FILES,
        "MAX_REQUEST_BYTES": 50_000_000,
    }


async def _status_counts(database: Database) -> Counter[str]:
    rows = await database.rows("SELECT status, count(*) FROM file_uploads GROUP BY status")
    return Counter({row[0]: row[1] for row in rows})


async def _killed_mid_way(database: Database, process: Any) -> Counter[str]:
    """Waits until some files are done and others are claimed, then SIGKILLs the worker."""

    async def mid_way() -> bool:
        counts = await _status_counts(database)
        done = counts["provisioned"] + counts["validation_failed"]
        return done > 0 and counts["processing"] > 0

    await wait_until(mid_way, 120, "files in progress")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return await _status_counts(database)


async def test_files_in_progress_when_the_worker_dies_are_finished_after_a_restart(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
    tmp_path: Path,
) -> None:
    await ensure_topics(kafka_bootstrap)
    batch_id = await new_batch(client)
    files = [
        ("files", (f"essay-{i}.pdf", docs.pdf_bytes(docs.essay_text(900, seed=i))))
        for i in range(FILES)
    ]
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files", files=files, headers=teacher()
    )
    assert response.status_code == 202, response.text
    file_ids = {f["file_upload_id"] for f in response.json()["files"]}
    environment = worker_environment(
        settings,
        EXTRACTION_PROCESSES=1,
        PROCESSING_CONCURRENCY=4,
        PROCESSING_LEASE_SECONDS=LEASE_SECONDS,
        EXTRACTION_TIMEOUT_SECONDS=60,
        LOCK_CONSUMER_GROUP=f"crash-{batch_id}",
    )
    log = tmp_path / "worker.log"

    with worker_process(environment, log) as first:
        at_kill = await _killed_mid_way(database, first)
    assert at_kill["processing"] > 0, at_kill  # the kill really left claimed files behind
    assert at_kill["pending"] + at_kill["processing"] > 0

    with worker_process(environment, log):
        await wait_until(lambda: _settled(database, len(file_ids)), 180, "the restarted worker")

    assert _outcome_counts(await database.outbox()) == dict.fromkeys(file_ids, 1)
    on_kafka = await _outcome_events_on_kafka(kafka_topics, batch_id)
    assert set(on_kafka) == file_ids
    for file_id, event_ids in on_kafka.items():
        assert len(set(event_ids)) == 1, (file_id, event_ids)  # a redelivery keeps its event_id


async def _settled(database: Database, expected: int) -> bool:
    counts = await _status_counts(database)
    finished = counts["provisioned"] + counts["validation_failed"] == expected
    unpublished = await database.scalar(
        "SELECT count(*) FROM event_outbox WHERE published_at IS NULL"
    )
    return finished and unpublished == 0


async def _outcome_events_on_kafka(
    kafka_topics: KafkaTopics, batch_id: str
) -> dict[str, list[str]]:
    events: dict[str, list[str]] = {}
    for topic in OUTCOMES:
        for record in await kafka_topics.read(topic, count=100_000, timeout=3):
            envelope = json.loads(record.value)
            if envelope["data"]["batch_id"] == batch_id:
                events.setdefault(envelope["data"]["file_upload_id"], []).append(
                    envelope["event_id"]
                )
    return events
