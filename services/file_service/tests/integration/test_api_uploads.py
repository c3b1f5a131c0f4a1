"""Uploads over HTTP on real PostgreSQL and Redis: accepted files end in one outcome each; every
refusal answers with its code and status, and stores and publishes nothing."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.file_service.handlers.locking import LockBatch
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.tests import documents as docs
from services.file_service.tests.integration.conftest import Database, new_batch, teacher
from services.file_service.tests.integration.test_api_batches import assert_error

pytestmark = pytest.mark.integration
ESSAY = docs.essay_text(600)
Part = tuple[str, tuple[str, bytes]]


def parts(*files: tuple[str, bytes]) -> list[Part]:
    return [("files", file) for file in files]


async def upload(
    client: httpx.AsyncClient, batch_id: str, files: list[Part], correlation: str = "up"
) -> httpx.Response:
    path = f"/v1/files/batch/{batch_id}/files"
    return await client.post(path, files=files, headers=teacher(correlation=correlation))


async def test_upload_process_and_read_the_batch_state(
    client: httpx.AsyncClient, database: Database, process_files: ProcessFiles
) -> None:
    batch_id = await new_batch(client)
    files = parts(
        ("../ada.txt", ESSAY.encode("utf-16")),
        ("bob.docx", docs.docx_bytes(docs.essay_text(seed=2))),
        ("cleo.pdf", docs.pdf_bytes(docs.essay_text(seed=3))),
        ("dan.txt", b"Far too short."),
        ("scan.pdf", docs.image_only_pdf_bytes()),
    )
    response = await upload(client, batch_id, files, correlation="upload-1")
    assert response.status_code == 202, response.text
    accepted = response.json()["files"]
    assert [f["file_name"] for f in accepted] == [
        "ada.txt",
        "bob.docx",
        "cleo.pdf",
        "dan.txt",
        "scan.pdf",
    ]
    assert {f["status"] for f in accepted} == {"pending"}

    while await process_files.run_once():
        pass

    state = (await client.get(f"/v1/files/batch/{batch_id}", headers=teacher())).json()
    by_name = {f["file_name"]: f for f in state["files"]}
    assert state["counts"] == {
        "total": 5,
        "pending": 0,
        "processing": 0,
        "provisioned": 3,
        "validation_failed": 2,
    }
    assert by_name["dan.txt"]["validation_error_code"] == "CONTENT_TOO_SHORT"
    assert by_name["scan.pdf"]["validation_error_code"] == "TEXT_EXTRACTION_FAILED"
    assert by_name["ada.txt"]["text_char_count"] > 3000
    await _assert_one_outcome_per_file(database, accepted, correlation="upload-1")


async def _assert_one_outcome_per_file(
    database: Database, accepted: list[dict[str, Any]], correlation: str
) -> None:
    outbox = await database.outbox()
    outcomes = Counter(
        json.loads(row.data)["data"]["file_upload_id"]
        for row in outbox
        if row.event_type.startswith("huleedu.file.essay.")
    )
    assert outcomes == {f["file_upload_id"]: 1 for f in accepted}
    added = [row for row in outbox if row.event_type == "huleedu.file.batch.file_added.v1"]
    assert len(added) == len(accepted)
    envelopes = [json.loads(row.data) for row in outbox]
    expected = str(uuid5_of(correlation))
    assert {envelope["correlation_id"] for envelope in envelopes} == {expected}


def uuid5_of(correlation: str) -> object:
    from huleedu_service_libs.correlation import CorrelationContext

    return CorrelationContext.from_header(correlation).uuid


async def test_several_files_in_one_part_name_or_many(client: httpx.AsyncClient) -> None:
    batch_id = await new_batch(client)
    files = [
        ("essay_a", ("a.txt", ESSAY.encode())),
        ("essay_b", ("b.txt", docs.essay_text(seed=9).encode())),
    ]
    response = await upload(client, batch_id, files)
    assert response.status_code == 202
    assert len(response.json()["files"]) == 2


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "MAX_FILE_BYTES": 200_000,
        "MAX_FILES_PER_REQUEST": 5,
        "MAX_REQUEST_BYTES": 1_000_000,
        "MAX_DOCX_UNCOMPRESSED_BYTES": 2_000_000,
    }


REFUSALS: dict[str, tuple[list[Part], int, str]] = {
    "no-files": ([], 400, "VALIDATION_ERROR"),
    "too-many-files": (
        parts(*[(f"{i}.txt", f"{i} {ESSAY}".encode()) for i in range(6)]),
        413,
        "PAYLOAD_TOO_LARGE",
    ),
    "file-over-limit": (parts(("big.txt", b"a " * 100_001)), 413, "PAYLOAD_TOO_LARGE"),
    "request-over-limit": (
        parts(*[(f"{i}.txt", bytes([65 + i]) * 190_000) for i in range(6)]),
        413,
        "PAYLOAD_TOO_LARGE",
    ),
    "legacy-doc": (parts(("essay.doc", docs.legacy_doc_bytes())), 415, "UNSUPPORTED_FILE_TYPE"),
    "png-named-docx": (
        parts(("essay.docx", b"\x89PNG\r\n\x1a\n" + bytes(100))),
        415,
        "UNSUPPORTED_FILE_TYPE",
    ),
    "xlsx-like-zip": (
        parts(("essay.docx", docs.zip_bytes({"a.xml": b"<a/>"}))),
        415,
        "UNSUPPORTED_FILE_TYPE",
    ),
    "encrypted-pdf": (
        parts(("essay.pdf", docs.encrypted_pdf_bytes(ESSAY))),
        422,
        "ENCRYPTED_FILE_UNSUPPORTED",
    ),
    "encrypted-docx": (
        parts(("essay.docx", docs.encrypted_docx_bytes())),
        422,
        "ENCRYPTED_FILE_UNSUPPORTED",
    ),
    "docx-zip-bomb": (
        parts(("essay.docx", docs.docx_bomb_bytes(5_000_000))),
        413,
        "PAYLOAD_TOO_LARGE",
    ),
    "duplicate-in-request": (
        parts(("a.txt", ESSAY.encode()), ("b.txt", ESSAY.encode())),
        409,
        "DUPLICATE_FILE",
    ),
    "one-bad-file-spoils-the-request": (
        parts(("good.txt", ESSAY.encode()), ("bad.doc", docs.legacy_doc_bytes())),
        415,
        "UNSUPPORTED_FILE_TYPE",
    ),
}


# Which limit each 413 names (the request-size limit is enforced by Quart before any parsing).
LIMIT_HIT = {
    "too-many-files": "files_per_request",
    "file-over-limit": "file_size",
    "docx-zip-bomb": "docx_decompressed_size",
}


@pytest.mark.parametrize("case", REFUSALS)
async def test_refusals_store_and_publish_nothing(
    client: httpx.AsyncClient, database: Database, case: str
) -> None:
    files, status, code = REFUSALS[case]
    batch_id = await new_batch(client)
    before = await database.counts()
    if files:
        response = await upload(client, batch_id, files, correlation="refused")
    else:
        path = f"/v1/files/batch/{batch_id}/files"
        body = b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--b--\r\n'
        multipart = {"Content-Type": "multipart/form-data; boundary=b"}
        response = await client.post(
            path, content=body, headers=teacher(correlation="refused") | multipart
        )
    assert_error(response, status, code, "refused")
    assert response.json()["details"].get("limit") == LIMIT_HIT.get(case)
    assert await database.counts() == before


async def test_a_non_multipart_upload_is_415(client: httpx.AsyncClient, database: Database) -> None:
    batch_id = await new_batch(client)
    before = await database.counts()
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files", json={"text": ESSAY}, headers=teacher(correlation="j")
    )
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE", "j")
    assert await database.counts() == before


async def test_the_same_bytes_again_are_a_409(
    client: httpx.AsyncClient, database: Database
) -> None:
    batch_id = await new_batch(client)
    assert (await upload(client, batch_id, parts(("a.txt", ESSAY.encode())))).status_code == 202
    before = await database.counts()
    response = await upload(client, batch_id, parts(("copy.txt", ESSAY.encode())), "dup")
    assert_error(response, 409, "DUPLICATE_FILE", "dup")
    assert response.json()["details"]["file_name"] == "copy.txt"
    assert await database.counts() == before


async def test_a_locked_batch_refuses_uploads_and_deletes_with_409(
    client: httpx.AsyncClient,
    database: Database,
    process_files: ProcessFiles,
    lock_batch: LockBatch,
) -> None:
    batch_id = await new_batch(client)
    accepted = await upload(client, batch_id, parts(("a.txt", ESSAY.encode())))
    file_id = accepted.json()["files"][0]["file_upload_id"]
    await process_files.run_once()
    await lock_batch(uuid_of(batch_id), uuid4())
    before = await database.counts()

    refused = await upload(
        client, batch_id, parts(("b.txt", docs.essay_text(seed=5).encode())), "l"
    )
    path = f"/v1/files/batch/{batch_id}/files/{file_id}"
    not_deleted = await client.delete(path, headers=teacher(correlation="l"))

    assert_error(refused, 409, "BATCH_LOCKED", "l")
    assert_error(not_deleted, 409, "BATCH_LOCKED", "l")
    assert await database.counts() == before
    state = (await client.get(f"/v1/files/batch/{batch_id}", headers=teacher())).json()
    assert state["locked"] is True


def uuid_of(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


async def test_other_teachers_and_unknown_batches_are_404(
    client: httpx.AsyncClient, database: Database
) -> None:
    theirs = await new_batch(client, user="other-teacher")
    before = await database.counts()
    for batch_id in (theirs, str(uuid4())):
        response = await upload(client, batch_id, parts(("a.txt", ESSAY.encode())), "404")
        assert_error(response, 404, "RESOURCE_NOT_FOUND", "404")
    assert await database.counts() == before


async def test_delete_announces_the_real_name_and_a_second_delete_is_404(
    client: httpx.AsyncClient, database: Database, process_files: ProcessFiles
) -> None:
    batch_id = await new_batch(client)
    name = "Åsa Öberg — uppsats.docx"
    accepted = await upload(client, batch_id, parts((name, docs.docx_bytes(ESSAY))))
    file_id = accepted.json()["files"][0]["file_upload_id"]
    await process_files.run_once()
    path = f"/v1/files/batch/{batch_id}/files/{file_id}"

    first = await client.delete(path, headers=teacher(correlation="del"))
    second = await client.delete(path, headers=teacher(correlation="del"))

    assert first.status_code == 204
    assert_error(second, 404, "RESOURCE_NOT_FOUND", "del")
    removed = [r for r in await database.outbox() if r.event_type.endswith("file_removed.v1")]
    assert len(removed) == 1
    assert json.loads(removed[0].data)["data"]["original_file_name"] == name
    state = (await client.get(f"/v1/files/batch/{batch_id}", headers=teacher())).json()
    assert state["files"] == []


async def test_another_teacher_cannot_delete(
    client: httpx.AsyncClient, process_files: ProcessFiles
) -> None:
    batch_id = await new_batch(client)
    accepted = await upload(client, batch_id, parts(("a.txt", ESSAY.encode())))
    file_id = accepted.json()["files"][0]["file_upload_id"]
    await process_files.run_once()
    path = f"/v1/files/batch/{batch_id}/files/{file_id}"
    response = await client.delete(path, headers=teacher(user="intruder", correlation="i"))
    assert_error(response, 404, "RESOURCE_NOT_FOUND", "i")
    mine = (await client.get(f"/v1/files/batch/{batch_id}", headers=teacher())).json()
    assert len(mine["files"]) == 1


async def test_concurrent_uploads_of_the_same_bytes_store_one(
    client: httpx.AsyncClient, database: Database
) -> None:
    batch_id = await new_batch(client)
    same = parts(("a.txt", ESSAY.encode()))
    responses = await asyncio.gather(*(upload(client, batch_id, same, f"c{i}") for i in range(4)))
    assert sorted(r.status_code for r in responses) == [202, 409, 409, 409]
    assert {r.json()["error_code"] for r in responses if r.status_code == 409} == {"DUPLICATE_FILE"}
    assert await database.scalar("SELECT count(*) FROM file_uploads") == 1


async def test_metrics_count_accepted_files_and_refusals(client: httpx.AsyncClient) -> None:
    batch_id = await new_batch(client)
    await upload(client, batch_id, parts(("a.docx", docs.docx_bytes(ESSAY))))
    await upload(client, batch_id, parts(("b.doc", docs.legacy_doc_bytes())))
    metrics = (await client.get("/metrics")).text
    assert 'file_service_files_accepted_total{file_format="docx"} 1.0' in metrics
    assert 'file_service_uploads_refused_total{error_code="UNSUPPORTED_FILE_TYPE"} 1.0' in metrics
    assert "http_request_duration_seconds" in metrics
