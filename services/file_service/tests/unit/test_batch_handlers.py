"""Batches: creation, listing, state; deletion and locking."""

from __future__ import annotations

from uuid import uuid4

import pytest

from common_core.error_enums import ErrorCode, FileValidationErrorCode
from common_core.events.file import BatchFileRemovedV1
from huleedu_service_libs.error_handling import HuleEduError
from services.file_service.protocols import Page
from services.file_service.tests import documents as docs
from services.file_service.tests.unit.conftest import TEACHER, Harness, corr

ESSAY = docs.essay_text(600)


async def test_teachers_see_only_their_own_batches_newest_first(harness: Harness) -> None:
    mine = []
    for _ in range(5):
        mine.append(await harness.new_batch())
        harness.clock.advance(1)
    await harness.new_batch(owner="other-teacher")

    first, total = await harness.queries.list(TEACHER, Page(offset=0, limit=2))
    rest, _ = await harness.queries.list(TEACHER, Page(offset=2, limit=10))

    assert total == 5
    assert [b.batch_id for b in first + rest] == list(reversed(mine))


async def test_another_teachers_batch_state_is_not_found(harness: Harness) -> None:
    batch_id = await harness.new_batch(owner="other-teacher")
    with pytest.raises(HuleEduError) as caught:
        await harness.queries.state(TEACHER, batch_id, corr())
    assert caught.value.http_status == 404


async def _processed_file(harness: Harness) -> tuple[object, object]:
    batch_id = await harness.new_batch()
    file_id = await harness.upload_one(batch_id, ESSAY.encode(), "Maja's essay.txt")
    await harness.process.run_once()
    return batch_id, file_id


async def test_delete_removes_the_file_and_announces_it_with_its_real_name(
    harness: Harness,
) -> None:
    batch_id, file_id = await _processed_file(harness)

    await harness.delete(TEACHER, batch_id, file_id, corr("delete"))  # type: ignore[arg-type]

    assert file_id not in harness.state.files
    removed = [e for e in harness.state.outbox if isinstance(e.envelope.data, BatchFileRemovedV1)]
    assert len(removed) == 1
    assert removed[0].envelope.data.original_file_name == "Maja's essay.txt"
    assert removed[0].envelope.correlation_id == corr("delete").uuid
    assert [n.kind for n in harness.notifier.sent] == ["batch_file_added", "batch_file_removed"]
    assert harness.notifier.sent[-1].data["original_file_name"] == "Maja's essay.txt"


async def test_deleting_twice_is_not_found_the_second_time(harness: Harness) -> None:
    batch_id, file_id = await _processed_file(harness)
    await harness.delete(TEACHER, batch_id, file_id, corr())  # type: ignore[arg-type]
    events = len(harness.state.outbox)
    with pytest.raises(HuleEduError) as caught:
        await harness.delete(TEACHER, batch_id, file_id, corr())  # type: ignore[arg-type]
    assert caught.value.http_status == 404
    assert len(harness.state.outbox) == events
    assert [n.kind for n in harness.notifier.sent].count("batch_file_removed") == 1


async def test_a_file_cannot_be_deleted_through_another_batch(harness: Harness) -> None:
    _, file_id = await _processed_file(harness)
    other_batch = await harness.new_batch()
    with pytest.raises(HuleEduError) as caught:
        await harness.delete(TEACHER, other_batch, file_id, corr())  # type: ignore[arg-type]
    assert caught.value.http_status == 404


async def test_another_teacher_cannot_delete(harness: Harness) -> None:
    batch_id, file_id = await _processed_file(harness)
    with pytest.raises(HuleEduError) as caught:
        await harness.delete("intruder", batch_id, file_id, corr())  # type: ignore[arg-type]
    assert caught.value.http_status == 404
    assert file_id in harness.state.files


async def test_a_file_still_in_progress_cannot_be_deleted(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    file_id = await harness.upload_one(batch_id, ESSAY.encode())
    with pytest.raises(HuleEduError) as caught:
        await harness.delete(TEACHER, batch_id, file_id, corr())
    assert (caught.value.error_code, caught.value.http_status) == (ErrorCode.CONFLICT, 409)


async def test_locking_is_idempotent_and_freezes_the_batch(harness: Harness) -> None:
    batch_id, file_id = await _processed_file(harness)
    assessment = uuid4()

    assert await harness.lock(batch_id, assessment) is True  # type: ignore[arg-type]
    assert await harness.lock(batch_id, uuid4()) is False  # type: ignore[arg-type]

    batch = harness.state.batches[batch_id]  # type: ignore[index]
    assert batch.locking_assessment_id == assessment
    with pytest.raises(HuleEduError) as caught:
        await harness.delete(TEACHER, batch_id, file_id, corr())  # type: ignore[arg-type]
    assert caught.value.error_code is FileValidationErrorCode.BATCH_LOCKED


async def test_locking_an_unknown_batch_changes_nothing(harness: Harness) -> None:
    assert await harness.lock(uuid4(), uuid4()) is False
    assert harness.state.batches == {}
