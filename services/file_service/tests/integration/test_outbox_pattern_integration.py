"""The four events of the file service through the transactional outbox, on real PostgreSQL and
Redis: each is written in the transaction that changes the file, keyed by the batch, with the
upload's correlation id; the teacher's `ws:{user_id}` channel hears of an added or removed file
only once that transaction has committed.

    pdm run test-all services/file_service/tests/integration/test_outbox_pattern_integration.py
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from redis.asyncio import Redis

from huleedu_service_libs.redis import notification_channel
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.tests import documents as docs
from services.file_service.tests.integration.conftest import Database, new_batch, teacher

pytestmark = pytest.mark.integration
PROVISIONED = "huleedu.file.essay.content_provisioned.v1"
FAILED = "huleedu.file.essay.validation_failed.v1"
ADDED = "huleedu.file.batch.file_added.v1"
REMOVED = "huleedu.file.batch.file_removed.v1"


class Channel:
    """A subscriber on one teacher's channel (pub/sub ignores the database number, so every
    test has a teacher of its own)."""

    def __init__(self, redis: Redis, user: str) -> None:
        self.pubsub = redis.pubsub()
        self.name = notification_channel(user)

    async def messages(self, wait_seconds: float = 1.0) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        while (message := await self.pubsub.get_message(True, timeout=wait_seconds)) is not None:
            received.append(json.loads(message["data"]))
        return received


@pytest.fixture
def user() -> str:
    return f"teacher-{uuid4().hex[:8]}"


@pytest.fixture
async def channel(redis_url: str, user: str) -> AsyncIterator[Channel]:
    redis = Redis.from_url(redis_url)
    subscriber = Channel(redis, user)
    await subscriber.pubsub.subscribe(subscriber.name)
    await subscriber.pubsub.get_message(timeout=1.0)  # the subscription's confirmation
    yield subscriber
    await subscriber.pubsub.aclose()
    await redis.aclose()


async def upload(client: httpx.AsyncClient, user: str, name: str, data: bytes) -> tuple[str, str]:
    batch_id = await new_batch(client, user)
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files",
        files=[("files", (name, data))],
        headers=teacher(user, "upload-correlation"),
    )
    assert response.status_code == 202, response.text
    return batch_id, str(response.json()["files"][0]["file_upload_id"])


def events_of(rows: list[Any], file_id: str) -> dict[str, dict[str, Any]]:
    """The outbox's envelopes about one file, by event type."""
    envelopes = [json.loads(row.data) for row in rows]
    return {
        envelope["event_type"]: envelope
        for envelope in envelopes
        if envelope["data"].get("file_upload_id") == file_id
    }


class TestOutboxPatternIntegration:
    async def test_essay_content_provisioned_outbox_write(
        self,
        client: httpx.AsyncClient,
        process_files: ProcessFiles,
        database: Database,
        user: str,
    ) -> None:
        batch_id, file_id = await upload(
            client, user, "essay.docx", docs.docx_bytes(docs.essay_text())
        )

        assert await process_files.run_once() == 1

        rows = await database.outbox()
        events = events_of(rows, file_id)
        assert set(events) == {PROVISIONED, ADDED}
        provisioned = events[PROVISIONED]
        assert provisioned["data"]["batch_id"] == batch_id
        assert provisioned["data"]["text_storage_id"]
        assert {row.event_key for row in rows} == {batch_id}
        upload_correlation = {e["correlation_id"] for e in events.values()}
        assert len(upload_correlation) == 1
        status = await database.scalar(
            "SELECT status FROM file_uploads WHERE file_upload_id = :id", id=file_id
        )
        assert status == "provisioned"

    async def test_essay_validation_failed_outbox_write(
        self,
        client: httpx.AsyncClient,
        process_files: ProcessFiles,
        database: Database,
        user: str,
    ) -> None:
        _, file_id = await upload(client, user, "short.txt", b"Too short to assess.")

        await process_files.run_once()

        events = events_of(await database.outbox(), file_id)
        assert set(events) == {FAILED, ADDED}
        assert events[FAILED]["data"]["validation_error_code"] == "CONTENT_TOO_SHORT"
        assert events[FAILED]["data"]["error_detail"]["correlation_id"]

    async def test_batch_file_added_reaches_the_teachers_channel_after_the_commit(
        self,
        client: httpx.AsyncClient,
        process_files: ProcessFiles,
        channel: Channel,
        user: str,
    ) -> None:
        batch_id, file_id = await upload(client, user, "essay.txt", docs.essay_text().encode())
        assert await channel.messages(0.2) == []  # accepted is not yet added

        await process_files.run_once()

        [message] = await channel.messages()
        assert message["type"] == "batch_file_added"
        assert message["service"] == "file_service"
        assert message["data"] == {
            "batch_id": batch_id,
            "file_upload_id": file_id,
            "original_file_name": "essay.txt",
            "status": "provisioned",
        }

    async def test_batch_file_removed_outbox_write_and_notification(
        self,
        client: httpx.AsyncClient,
        process_files: ProcessFiles,
        database: Database,
        channel: Channel,
        user: str,
    ) -> None:
        batch_id, file_id = await upload(client, user, "essay.txt", docs.essay_text().encode())
        await process_files.run_once()
        await channel.messages(0.5)

        deleted = await client.delete(
            f"/v1/files/batch/{batch_id}/files/{file_id}", headers=teacher(user, "delete-it")
        )

        assert deleted.status_code == 204, deleted.text
        removed = events_of(await database.outbox(), file_id)[REMOVED]
        assert removed["data"]["original_file_name"] == "essay.txt"
        [message] = await channel.messages()
        assert (message["type"], message["data"]["file_upload_id"]) == (
            "batch_file_removed",
            file_id,
        )

    async def test_a_refused_deletion_writes_no_event_and_notifies_nobody(
        self,
        client: httpx.AsyncClient,
        process_files: ProcessFiles,
        database: Database,
        channel: Channel,
        user: str,
    ) -> None:
        batch_id, file_id = await upload(client, user, "essay.txt", docs.essay_text().encode())
        before = await database.outbox()  # still pending: deleting it now is a conflict

        refused = await client.delete(
            f"/v1/files/batch/{batch_id}/files/{file_id}", headers=teacher(user)
        )
        unknown = await client.delete(
            f"/v1/files/batch/{batch_id}/files/{uuid4()}", headers=teacher(user)
        )

        assert (refused.status_code, unknown.status_code) == (409, 404)
        assert await database.outbox() == before
        assert await channel.messages(0.5) == []
