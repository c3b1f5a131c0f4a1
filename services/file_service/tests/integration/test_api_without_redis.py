"""Redis only carries wake-ups: with it unreachable, uploads are still accepted and committed
(the worker finds them at its next poll), and /healthz says what is missing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.file_service.tests import documents as docs
from services.file_service.tests.integration.conftest import Database, new_batch, teacher

pytestmark = pytest.mark.integration


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"REDIS_URL": "redis://127.0.0.1:9/0", "HEALTH_CHECK_TIMEOUT_SECONDS": 0.5}


async def test_uploads_commit_while_redis_is_away(
    client: httpx.AsyncClient, database: Database
) -> None:
    batch_id = await new_batch(client)
    files = [("files", ("a.txt", docs.essay_text(100).encode()))]
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files", files=files, headers=teacher()
    )

    assert response.status_code == 202, response.text
    assert await database.scalar("SELECT count(*) FROM file_uploads WHERE status = 'pending'") == 1
    health = await client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["failing"] == ["redis"]
