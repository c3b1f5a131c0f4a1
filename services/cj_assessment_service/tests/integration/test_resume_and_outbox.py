"""Crash and resume on the real database; seed 001's outbox checklist (atomicity, wake-up)."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis.asyncio import Redis

from common_core.error_enums import ErrorCode
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.outbox import RelayWakeup, wake_key
from services.cj_assessment_service.config import Settings
from services.cj_assessment_service.handlers.cancel import CancelAssessment
from services.cj_assessment_service.handlers.events import emit_failed
from services.cj_assessment_service.handlers.requests import BatchAssessment, StartBatchAssessment
from services.cj_assessment_service.handlers.support import error_detail
from services.cj_assessment_service.protocols import UnitOfWorkFactory
from services.cj_assessment_service.startup_setup import build_worker_container
from services.cj_assessment_service.tests.integration.conftest import (
    TEACHER,
    Database,
    Externals,
    Worker,
)
from services.cj_assessment_service.tests.support.fake_llm import Scripted
from services.cj_assessment_service.workers.assessments import AssessmentWorker

pytestmark = pytest.mark.integration
FAILED_TOPIC = "huleedu.cj.assessment.failed.v1"
QUALITIES = [-2.0, -1.2, -0.5, 0.0, 0.6, 1.1, 1.9, 2.6]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"JUDGE": "llm", "LEASE_SECONDS": 1.0, "LLM_CONCURRENCY": 2}


async def start(worker: Worker) -> str:
    batch = await worker.provision(QUALITIES)
    start = await worker.container.get(StartBatchAssessment)
    command = BatchAssessment(user_id=TEACHER, org_id=None, batch_id=batch, correlation_id=uuid4())
    return str((await start(command)).id)


async def test_a_crashed_worker_is_resumed_by_another_without_repeats(
    settings: Settings, worker: Worker, externals: Externals, db: Database
) -> None:
    externals.llm.then(*[Scripted(delay=0.1)] * 200)  # slow enough to crash mid-round
    assessment_id = await start(worker)
    first = await worker.container.get(AssessmentWorker)
    running = asyncio.create_task(first.run())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = await db.scalar(
            "SELECT completed_comparisons FROM assessments WHERE id = :a", a=assessment_id
        )
        if done >= 5:
            break
        await asyncio.sleep(0.05)
    first.stop()  # cancels the run mid-step, like a killed process: the claim stays behind
    await running
    crashed = await db.rows(
        "SELECT state, lease_owner, completed_comparisons FROM assessments WHERE id = :a",
        a=assessment_id,
    )
    assert crashed[0].state == "comparing"
    assert crashed[0].lease_owner == first.owner

    engine = build_engine(settings)
    second_container = build_worker_container(settings, engine)
    try:
        second = await second_container.get(AssessmentWorker)
        assert second.owner != first.owner
        await asyncio.sleep(1.1)  # the dead worker's lease runs out
        await Worker(second_container, externals).finish(db, assessment_id)
    finally:
        await second_container.close()
        await engine.dispose()

    state, completed = (
        await db.rows(
            "SELECT state, completed_comparisons FROM assessments WHERE id = :a", a=assessment_id
        )
    )[0]
    assert state == "completed"
    rows = await db.rows(
        "SELECT attempts, status FROM comparisons WHERE assessment_id = :a", a=assessment_id
    )
    assert sum(r.status == "completed" for r in rows) == completed
    assert all(r.attempts == 1 for r in rows if r.status == "completed")
    assert externals.entitlements.charged == completed
    events = await db.scalar(
        "SELECT count(*) FROM event_outbox WHERE aggregate_id = :a AND event_type = :t",
        a=assessment_id,
        t="huleedu.cj.assessment.completed.v1",
    )
    assert events == 1


async def test_state_and_event_commit_together_and_wake_the_relay(
    worker: Worker, db: Database, redis_url: str
) -> None:
    redis = Redis.from_url(redis_url)
    key = wake_key("cj_assessment_service")
    await redis.delete(key)
    assessment_id = await start(worker)
    uows = await worker.container.get(UnitOfWorkFactory)
    wakeup = await worker.container.get(RelayWakeup)
    async with uows() as uow:  # a state change and its event in a transaction never committed
        assessment = await uow.assessments.get(UUID(assessment_id), lock=True)
        assert assessment is not None
        assessment.state = "failed"
        detail = error_detail(
            ErrorCode.PROCESSING_ERROR, "x", correlation_id=uuid4(), operation="t"
        )
        emit_failed(uow, assessment, detail)
    await wakeup.flush()
    assert await db.scalar("SELECT state FROM assessments WHERE id = :a", a=assessment_id) == (
        "initializing"
    )
    assert await db.scalar("SELECT count(*) FROM event_outbox") == 0
    assert await redis.llen(key) == 0

    await (await worker.container.get(CancelAssessment))(TEACHER, UUID(assessment_id))
    await wakeup.flush()
    rows = await db.rows("SELECT event_type, aggregate_type, event_key, topic FROM event_outbox")
    assert [(r.event_type, r.aggregate_type, r.event_key, r.topic) for r in rows] == [
        (FAILED_TOPIC, "cj_assessment", assessment_id, FAILED_TOPIC)
    ]
    assert await db.scalar("SELECT state FROM assessments WHERE id = :a", a=assessment_id) == (
        "cancelled"
    )
    assert await redis.llen(key) == 1
    await redis.aclose()
