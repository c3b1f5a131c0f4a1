"""A dead worker's claims are free at once: its liveness lock went with its connection."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.clock import SystemClock
from services.file_service.implementations.claimer_liveness import (
    ClaimerIdentity,
    ClaimerLiveness,
)
from services.file_service.tests.integration.test_transactions import _pending_file, _uow

pytestmark = pytest.mark.integration
LONG_LEASE = timedelta(hours=1)


async def _claim(engine: AsyncEngine, lock_key: int | None) -> list[str]:
    now = SystemClock().now()
    async with _uow(engine)() as uow:
        claimed = await uow.files.claim_due(now, now + LONG_LEASE, uuid4(), 10, lock_key)
        await uow.commit()
    return [str(file.file_upload_id) for file in claimed]


async def test_a_claim_is_kept_while_its_worker_lives_and_freed_when_it_dies(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    _, file_id = await _pending_file(client)
    first_worker = ClaimerLiveness(engine, ClaimerIdentity(), heartbeat_seconds=0.1)
    await first_worker.start()
    try:
        assert await _claim(engine, first_worker.identity.lock_key) == [file_id]
        assert await _claim(engine, None) == []  # alive, and the lease runs for an hour
    finally:
        await first_worker.stop()  # as a SIGKILL would: the session and its lock are gone

    assert await _claim(engine, None) == [file_id]  # free at once, an hour before the lease ends


async def test_a_claim_without_a_liveness_lock_waits_for_its_lease(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    _, file_id = await _pending_file(client)
    assert await _claim(engine, None) == [file_id]
    assert await _claim(engine, None) == []


async def test_the_lock_is_taken_again_after_its_connection_is_killed(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    _, file_id = await _pending_file(client)
    worker = ClaimerLiveness(engine, ClaimerIdentity(), heartbeat_seconds=0.1)
    await worker.start()
    try:
        assert await _claim(engine, worker.identity.lock_key) == [file_id]
        old_pid = await _lock_holder(engine, worker.identity.lock_key)
        async with engine.connect() as admin:  # the database drops the lock's session
            await admin.exec_driver_sql(f"SELECT pg_terminate_backend({old_pid})")
            await admin.commit()
        await _until_locked_again(engine, worker.identity.lock_key, old_pid)
        assert await _claim(engine, None) == []  # the live worker keeps its claim
    finally:
        await worker.stop()


async def _lock_holder(engine: AsyncEngine, key: int) -> int | None:
    async with engine.connect() as connection:
        holder = await connection.exec_driver_sql(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            f"AND objid = {key & 0xFFFFFFFF}"
        )
        pid = holder.scalar_one_or_none()
    return None if pid is None else int(pid)


async def _until_locked_again(engine: AsyncEngine, key: int, old_pid: int | None) -> None:
    # pg_terminate_backend only signals: until the old backend has exited, it still holds the
    # lock, so wait for a holder that is not the terminated session.
    for _ in range(300):
        holder = await _lock_holder(engine, key)
        if holder is not None and holder != old_pid:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the liveness lock was not taken again")
