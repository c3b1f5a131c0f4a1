"""Uploads: accepted files are stored and queued; every refusal stores and announces nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest

from common_core.domain_enums import ContentType, FileFormat
from common_core.error_enums import AnyErrorCode, ErrorCode, FileValidationErrorCode
from huleedu_service_libs.error_handling import HuleEduError
from services.file_service.domain.model import FileStatus
from services.file_service.handlers.uploads import IncomingFile
from services.file_service.tests import documents as docs
from services.file_service.tests.unit.conftest import TEACHER, Harness, MakeHarness, corr

ESSAY = docs.essay_text(600)


async def test_accepted_files_are_stored_pending_and_the_worker_is_signalled(
    harness: Harness,
) -> None:
    batch_id = await harness.new_batch()
    incoming = [
        IncomingFile("../../a.txt", ESSAY.encode()),
        IncomingFile("b.bin", docs.docx_bytes(docs.essay_text(seed=2))),
        IncomingFile(None, docs.pdf_bytes(docs.essay_text(seed=3))),
    ]
    files = await harness.upload(TEACHER, batch_id, incoming, corr("req-1"))

    assert [f.file_format for f in files] == [FileFormat.TXT, FileFormat.DOCX, FileFormat.PDF]
    assert [f.file_name for f in files] == ["a.txt", "b.bin", "upload"]
    stored = harness.state.files
    assert {f.status for f in stored.values()} == {FileStatus.PENDING}
    for file, item in zip(files, incoming, strict=True):
        raw = harness.state.content[file.raw_storage_id]
        assert (raw.data, raw.content_type) == (item.data, ContentType.RAW_UPLOAD)
        assert stored[file.file_upload_id].correlation_id == corr("req-1").uuid
    assert harness.state.outbox == []  # events come with each file's final status
    assert harness.signal.notified == 1
    assert harness.metric("file_service_files_accepted_total", file_format="docx") == 1


async def _refused(harness: Harness, batch_id: object, files: list[IncomingFile]) -> HuleEduError:
    before = (dict(harness.state.files), dict(harness.state.content))
    with pytest.raises(HuleEduError) as caught:
        await harness.upload(TEACHER, batch_id, files, corr("refused"))  # type: ignore[arg-type]
    assert (harness.state.files, harness.state.content) == before
    assert harness.state.outbox == []
    assert harness.signal.notified == 0
    assert caught.value.correlation_id == corr("refused").uuid
    return caught.value


def _one(data: bytes, name: str = "essay") -> list[IncomingFile]:
    return [IncomingFile(name, data)]


CASES = {
    "no-files": ([], ErrorCode.VALIDATION_ERROR, 400, None),
    "too-many-files": (
        [IncomingFile(f"{i}.txt", f"{i} {ESSAY}".encode()) for i in range(4)],
        ErrorCode.PAYLOAD_TOO_LARGE,
        413,
        "files_per_request",
    ),
    "too-large": (_one(b"x" * 50_001), ErrorCode.PAYLOAD_TOO_LARGE, 413, "file_size"),
    "docx-bomb": (
        _one(docs.docx_bomb_bytes(300_000)),
        ErrorCode.PAYLOAD_TOO_LARGE,
        413,
        "docx_decompressed_size",
    ),
    "legacy-doc": (
        _one(docs.legacy_doc_bytes(), "essay.docx"),
        FileValidationErrorCode.UNSUPPORTED_FILE_TYPE,
        415,
        None,
    ),
    "png-named-txt": (
        _one(b"\x89PNG\r\n\x1a\n" + bytes(64), "essay.txt"),
        FileValidationErrorCode.UNSUPPORTED_FILE_TYPE,
        415,
        None,
    ),
    "encrypted-pdf": (
        _one(docs.encrypted_pdf_bytes(ESSAY)),
        FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED,
        422,
        None,
    ),
    "encrypted-docx": (
        _one(docs.encrypted_docx_bytes()),
        FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED,
        422,
        None,
    ),
    "duplicate-in-request": (
        [IncomingFile("a.txt", ESSAY.encode()), IncomingFile("b.txt", ESSAY.encode())],
        FileValidationErrorCode.DUPLICATE_FILE,
        409,
        None,
    ),
}


@pytest.mark.parametrize(("files", "code", "status", "limit"), CASES.values(), ids=CASES.keys())
async def test_refusals(
    files: list[IncomingFile],
    code: AnyErrorCode,
    status: int,
    limit: str | None,
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(
        MAX_FILE_BYTES=50_000, MAX_FILES_PER_REQUEST=3, MAX_DOCX_UNCOMPRESSED_BYTES=200_000
    )
    batch_id = await harness.new_batch()
    error = await _refused(harness, batch_id, files)
    assert (error.error_code, error.http_status) == (code, status)
    assert error.error_detail.details.get("limit") == limit
    assert harness.metric("file_service_uploads_refused_total", error_code=str(code)) == 1


async def test_a_refused_file_is_named_in_the_error(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    files = [
        IncomingFile("fine.txt", ESSAY.encode()),
        IncomingFile("C:\\x\\old.doc", docs.legacy_doc_bytes()),
    ]
    error = await _refused(harness, batch_id, files)
    assert error.error_detail.details["file_name"] == "old.doc"


async def test_the_same_bytes_as_a_file_already_in_the_batch_are_refused(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    await harness.upload_one(batch_id, ESSAY.encode(), "first.txt")
    error = await _refused_after(harness, batch_id, _one(ESSAY.encode(), "renamed.txt"))
    assert error.error_code is FileValidationErrorCode.DUPLICATE_FILE
    assert error.error_detail.details["file_name"] == "renamed.txt"


async def test_the_same_bytes_in_another_batch_are_fine(harness: Harness) -> None:
    first, second = await harness.new_batch(), await harness.new_batch()
    await harness.upload_one(first, ESSAY.encode())
    await harness.upload_one(second, ESSAY.encode())
    assert len(harness.state.files) == 2
    assert len(harness.state.content) == 1  # content-addressed: stored once


async def test_a_locked_batch_refuses_uploads_with_409(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    await harness.lock(batch_id, uuid4())
    error = await _refused_after(harness, batch_id, _one(ESSAY.encode()))
    assert (error.error_code, error.http_status) == (FileValidationErrorCode.BATCH_LOCKED, 409)


async def test_another_teachers_batch_is_not_found(harness: Harness) -> None:
    batch_id = await harness.new_batch(owner="someone-else")
    error = await _refused_after(harness, batch_id, _one(ESSAY.encode()))
    assert (error.error_code, error.http_status) == (ErrorCode.RESOURCE_NOT_FOUND, 404)


async def test_a_missing_batch_is_not_found(harness: Harness) -> None:
    error = await _refused_after(harness, uuid4(), _one(ESSAY.encode()))
    assert error.http_status == 404


async def _refused_after(
    harness: Harness, batch_id: object, files: list[IncomingFile]
) -> HuleEduError:
    signalled = harness.signal.notified
    harness.signal.notified = 0
    error = await _refused(harness, batch_id, files)
    harness.signal.notified = signalled
    return error
