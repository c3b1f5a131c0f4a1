"""The worker loop keeps files flowing, survives a failing database, and stops cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from services.file_service.domain.model import FileStatus
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.tests import documents as docs
from services.file_service.tests.fakes import CountingSignal
from services.file_service.tests.unit.conftest import Harness
from services.file_service.workers.processing_loop import ProcessingLoop


async def _until(check: Callable[[], bool], timeout: float = 10) -> None:
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the loop did not get there")


def _all_final(harness: Harness, expected: int) -> bool:
    files = harness.state.files.values()
    return len(files) == expected and all(file.status.is_final for file in files)


async def test_the_loop_processes_files_uploaded_before_and_while_it_runs(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    for seed in range(5):
        await harness.upload_one(batch_id, docs.essay_text(80, seed=seed).encode(), f"{seed}.txt")
    loop = ProcessingLoop(harness.process, CountingSignal(), poll_seconds=0.05, concurrency=2)
    running = asyncio.create_task(loop.run())

    await _until(lambda: _all_final(harness, 5))
    await harness.upload_one(batch_id, docs.essay_text(80, seed=99).encode(), "late.txt")
    await _until(lambda: _all_final(harness, 6))
    loop.stop()
    await asyncio.wait_for(running, 5)

    statuses = {file.status for file in harness.state.files.values()}
    assert statuses == {FileStatus.PROVISIONED}


class FlakyClaims(ProcessFiles):
    failures_left = 2

    async def claim(self, limit: int) -> tuple:  # type: ignore[type-arg]
        if FlakyClaims.failures_left:
            FlakyClaims.failures_left -= 1
            raise ConnectionError("database restarting")
        return await super().claim(limit)


async def test_a_failing_claim_is_retried_instead_of_ending_the_loop(harness: Harness) -> None:
    batch_id = await harness.new_batch()
    await harness.upload_one(batch_id, docs.essay_text(80).encode())
    process = harness.process
    flaky = FlakyClaims(
        process.uow,
        process.clock,
        process.extractor,
        process.policy,
        process.metrics,
        process.notifier,
    )
    loop = ProcessingLoop(flaky, CountingSignal(), poll_seconds=0.01, concurrency=2)
    running = asyncio.create_task(loop.run())

    await _until(lambda: _all_final(harness, 1))
    loop.stop()
    await asyncio.wait_for(running, 5)
    assert FlakyClaims.failures_left == 0
