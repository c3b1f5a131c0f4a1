"""The worker's use case: each file ends in one final status with exactly one outcome event."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from uuid import UUID

from common_core.domain_enums import ContentType, FileFormat
from common_core.error_enums import FileValidationErrorCode
from common_core.events.file import (
    BatchFileAddedV1,
    EssayContentProvisionedV1,
    EssayValidationFailedV1,
)
from services.file_service.domain.model import FileStatus
from services.file_service.domain.text_rules import normalise_text
from services.file_service.protocols import ExtractorUnavailableError
from services.file_service.tests import documents as docs
from services.file_service.tests.unit.conftest import Harness, MakeHarness, corr

ESSAY = docs.essay_text(600)


def _payloads(harness: Harness, kind: type) -> list:  # type: ignore[type-arg]
    return [e.envelope.data for e in harness.state.outbox if isinstance(e.envelope.data, kind)]


def _outcomes_per_file(harness: Harness) -> Counter[UUID]:
    kinds = (EssayContentProvisionedV1, EssayValidationFailedV1)
    return Counter(
        e.envelope.data.file_upload_id
        for e in harness.state.outbox
        if isinstance(e.envelope.data, kinds)
    )


async def test_a_valid_essay_is_provisioned_with_its_events(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    upload = docs.docx_bytes(ESSAY)
    file_id = await harness.upload_one(batch_id, upload, "Ada Lovelace.docx")

    assert await harness.process.run_once() == 1

    file = harness.state.files[file_id]
    assert file.status is FileStatus.PROVISIONED
    text = harness.state.content[file.text_storage_id or ""]
    assert text.content_type is ContentType.EXTRACTED_TEXT
    assert text.data.decode() == normalise_text(ESSAY)
    [provisioned] = _payloads(harness, EssayContentProvisionedV1)
    assert provisioned.text_storage_id == file.text_storage_id
    assert provisioned.file_size_bytes == len(upload)
    assert provisioned.file_md5 == file.md5
    assert provisioned.text_char_count == len(normalise_text(ESSAY))
    assert provisioned.file_format is FileFormat.DOCX
    assert provisioned.original_file_name == "Ada Lovelace.docx"
    [added] = _payloads(harness, BatchFileAddedV1)
    assert added.file_upload_id == file_id
    assert {e.envelope.correlation_id for e in harness.state.outbox} == {corr("upload").uuid}
    assert {e.event_key for e in harness.state.outbox} == {str(batch_id)}
    [notified] = harness.notifier.sent
    assert (notified.user_id, notified.kind) == ("teacher-1", "batch_file_added")
    assert notified.data["file_upload_id"] == str(file_id)
    assert notified.data["status"] == "provisioned"


async def test_a_short_essay_fails_validation_with_code_and_error_detail(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    file_id = await harness.upload_one(batch_id, b"Too short.")
    await harness.process.run_once()

    file = harness.state.files[file_id]
    assert file.status is FileStatus.VALIDATION_FAILED
    assert file.validation_error_code is FileValidationErrorCode.CONTENT_TOO_SHORT
    [failed] = _payloads(harness, EssayValidationFailedV1)
    assert failed.validation_error_code is FileValidationErrorCode.CONTENT_TOO_SHORT
    assert failed.error_detail.error_code is FileValidationErrorCode.CONTENT_TOO_SHORT
    assert failed.error_detail.correlation_id == corr("upload").uuid
    assert failed.error_detail.details["char_count"] == 10
    assert len(_payloads(harness, BatchFileAddedV1)) == 1
    assert len(harness.state.content) == 1  # the raw upload only; no text for a failed file


async def test_a_pdf_without_a_text_layer_fails_extraction(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    await harness.upload_one(batch_id, docs.image_only_pdf_bytes(), "scan.pdf")
    await harness.process.run_once()
    [failed] = _payloads(harness, EssayValidationFailedV1)
    assert failed.validation_error_code is FileValidationErrorCode.TEXT_EXTRACTION_FAILED
    assert failed.error_detail.details["reason"] == "no_text_layer"


async def test_an_empty_file_fails_as_empty(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    await harness.upload_one(batch_id, b"")
    await harness.process.run_once()
    [failed] = _payloads(harness, EssayValidationFailedV1)
    assert failed.validation_error_code is FileValidationErrorCode.EMPTY_CONTENT


async def test_a_claim_abandoned_by_a_crashed_worker_is_taken_again_after_its_lease(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(
        PROCESSING_LEASE_SECONDS=60, EXTRACTION_TIMEOUT_SECONDS=30, PROCESSING_CONCURRENCY=8
    )
    batch_id = await harness.new_batch()
    file_id = await harness.upload_one(batch_id, ESSAY.encode())
    await harness.process.claim(1)  # claimed, then the worker "dies"

    assert await harness.process.run_once() == 0  # still leased
    harness.clock.advance(61)
    assert await harness.process.run_once() == 1

    assert harness.state.files[file_id].status is FileStatus.PROVISIONED
    assert harness.state.files[file_id].attempts == 2
    assert _outcomes_per_file(harness) == {file_id: 1}


async def test_a_worker_that_lost_its_claim_publishes_nothing(make_harness: MakeHarness) -> None:
    harness = await make_harness(PROCESSING_LEASE_SECONDS=60, EXTRACTION_TIMEOUT_SECONDS=30)
    batch_id = await harness.new_batch()
    file_id = await harness.upload_one(batch_id, ESSAY.encode())
    slow_token, [claimed] = await harness.process.claim(1)
    harness.clock.advance(61)
    await harness.process.run_once()  # another worker takes over and finishes

    outcome = await harness.process.extractor.extract(ESSAY.encode(), claimed.file_format)
    await harness.process._finish(file_id, slow_token, outcome)  # the slow one finally returns

    assert _outcomes_per_file(harness) == {file_id: 1}
    assert len(_payloads(harness, BatchFileAddedV1)) == 1


async def test_a_file_that_never_completes_fails_after_the_attempt_limit(
    make_harness: MakeHarness,
) -> None:
    harness = await make_harness(
        PROCESSING_LEASE_SECONDS=10, EXTRACTION_TIMEOUT_SECONDS=5, PROCESSING_MAX_ATTEMPTS=2
    )
    batch_id = await harness.new_batch()
    file_id = await harness.upload_one(batch_id, ESSAY.encode())
    for _ in range(2):
        await harness.process.claim(1)  # each attempt "crashes"
        harness.clock.advance(11)

    await harness.process.run_once()

    [failed] = _payloads(harness, EssayValidationFailedV1)
    assert failed.error_detail.details["reason"] == "attempts_exhausted"
    assert harness.state.files[file_id].status is FileStatus.VALIDATION_FAILED


class BrokenExtractor:
    async def extract(self, data: bytes, file_format: FileFormat) -> object:
        raise ExtractorUnavailableError("pool is down")


async def test_when_extraction_is_unavailable_the_file_is_given_back(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    file_id = await harness.upload_one(batch_id, ESSAY.encode())
    harness.process.extractor = BrokenExtractor()  # type: ignore[assignment]

    await harness.process.run_once()

    file = harness.state.files[file_id]
    assert (file.status, file.claim_token, file.attempts) == (FileStatus.PENDING, None, 1)
    assert harness.state.outbox == []
    assert harness.metric("file_service_files_released_total") == 1


async def test_one_batch_of_claims_processes_every_format(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    makers: list[Callable[[str], bytes]] = [str.encode, docs.docx_bytes, docs.pdf_bytes]
    for seed, make in enumerate(makers):
        await harness.upload_one(batch_id, make(docs.essay_text(seed=seed)), f"{seed}")
    assert await harness.process.run_once() == 3
    assert await harness.process.run_once() == 0
    assert len(_payloads(harness, EssayContentProvisionedV1)) == 3
    state = await harness.queries.state("teacher-1", batch_id, corr())
    assert state.counts == {
        "total": 3,
        "pending": 0,
        "processing": 0,
        "provisioned": 3,
        "validation_failed": 0,
    }
