"""The internal content API (X-Internal-API-Key) serves extracted texts to other services."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from common_core.models.file_api import EssayContentResponse
from services.file_service.domain.text_rules import normalise_text
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.tests import documents as docs
from services.file_service.tests.integration.conftest import INTERNAL_KEY, new_batch, teacher
from services.file_service.tests.integration.test_api_batches import assert_error

pytestmark = pytest.mark.integration
ESSAY = docs.essay_text(600)


async def _provisioned(client: httpx.AsyncClient, process_files: ProcessFiles) -> dict[str, Any]:
    batch_id = await new_batch(client)
    files = [("files", ("essay.pdf", docs.pdf_bytes(ESSAY)))]
    await client.post(f"/v1/files/batch/{batch_id}/files", files=files, headers=teacher())
    await process_files.run_once()
    state = (await client.get(f"/v1/files/batch/{batch_id}", headers=teacher())).json()
    return dict(state["files"][0])


def internal(key: str = INTERNAL_KEY) -> dict[str, str]:
    return {"X-Internal-API-Key": key, "X-Correlation-ID": "cj-call"}


async def test_the_text_is_served_with_its_metadata(
    client: httpx.AsyncClient, process_files: ProcessFiles
) -> None:
    file = await _provisioned(client, process_files)
    response = await client.get(
        f"/internal/v1/content/{file['text_storage_id']}", headers=internal()
    )

    assert response.status_code == 200, response.text
    content = EssayContentResponse.model_validate(response.json())
    assert content.text.split() == normalise_text(ESSAY).split()
    assert content.char_count == file["text_char_count"] == len(content.text)
    assert content.md5 == hashlib.md5(content.text.encode()).hexdigest()
    assert content.content_type == "extracted_text"


@pytest.mark.parametrize("key", ["", "wrong-key", INTERNAL_KEY + "x"])
async def test_a_missing_or_wrong_key_is_401(
    client: httpx.AsyncClient, process_files: ProcessFiles, key: str
) -> None:
    file = await _provisioned(client, process_files)
    path = f"/internal/v1/content/{file['text_storage_id']}"
    assert_error(
        await client.get(path, headers=internal(key)), 401, "AUTHENTICATION_ERROR", "cj-call"
    )


async def test_the_teacher_header_is_no_substitute_for_the_key(client: httpx.AsyncClient) -> None:
    path = "/internal/v1/content/text-" + "0" * 64
    response = await client.get(path, headers=teacher(correlation="cj-call"))
    assert_error(response, 401, "AUTHENTICATION_ERROR", "cj-call")


async def test_raw_uploads_and_unknown_ids_are_404(
    client: httpx.AsyncClient, process_files: ProcessFiles
) -> None:
    await _provisioned(client, process_files)
    raw_id = "raw-" + hashlib.sha256(docs.pdf_bytes(ESSAY)).hexdigest()
    for storage_id in (raw_id, "text-" + "0" * 64, "..%2F..%2Fetc%2Fpasswd", "x" * 300):
        response = await client.get(f"/internal/v1/content/{storage_id}", headers=internal())
        assert_error(response, 404, "RESOURCE_NOT_FOUND", "cj-call")


@pytest.fixture(params=["database", "directory"])
def settings_overrides(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Every test here runs against both content stores."""
    return {"CONTENT_STORE": request.param, "CONTENT_STORE_DIR": tmp_path / "store"}


async def test_uploads_land_in_the_configured_store(
    client: httpx.AsyncClient, tmp_path: Path, database: Any, settings_overrides: dict[str, Any]
) -> None:
    batch_id = await new_batch(client)
    upload = ESSAY.encode()
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files", files=[("f", ("e.txt", upload))], headers=teacher()
    )
    assert response.status_code == 202
    raw_id = "raw-" + hashlib.sha256(upload).hexdigest()
    on_disk = tmp_path / "store" / raw_id[:6] / raw_id
    in_table = await database.scalar("SELECT count(*) FROM content_blobs")
    if settings_overrides["CONTENT_STORE"] == "directory":
        assert (on_disk.read_bytes(), in_table) == (upload, 0)
    else:
        assert (on_disk.exists(), in_table) == (False, 1)
