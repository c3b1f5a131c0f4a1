"""Faults across real service processes: a CJ worker killed mid-assessment, Kafka unresponsive
during uploads, and entitlements down when an assessment is requested. Each test restores the
process it disturbed, so the session's platform stays whole for the next test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from common_core.events.registry import ProcessingEvent, topic_name
from tests.functional.platform import Platform, client, needs

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.timeout(600),
]
FILES, CJ, CREDITS = "file_service", "cj_assessment_service", "entitlements_service"
ALL = (FILES, CJ, CREDITS, "class_management_service")
WORDS = [
    "tablets",
    "textbooks",
    "reading",
    "focus",
    "evidence",
    "argument",
    "screen",
    "paper",
    "memory",
    "habit",
]


def essay_files(count: int) -> list[tuple[str, tuple[str, bytes]]]:
    """Distinct essays of different lengths, so the simulated judge tells them apart."""
    files = []
    for i in range(count):
        words = [WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(60 + 15 * i)]
        text = f"Essay {i}. " + " ".join(words) + "."
        files.append(("files", (f"essay_{i:02d}.txt", text.encode())))
    return files


async def eventually(
    probe: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], timeout: float, what: str
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s; last: {value}")
        await asyncio.sleep(0.1)


async def processed_batch(platform: Platform, teacher: str, correlation: UUID, count: int) -> str:
    async with client(platform, FILES, teacher, correlation) as files:
        body = {"title": "Faults", "course_code": "ENG5"}
        batch = await files.post("/v1/files/batch", json=body)
        assert batch.status_code == 201, batch.text
        batch_id = str(batch.json()["batch_id"])
        uploaded = await files.post(f"/v1/files/batch/{batch_id}/files", files=essay_files(count))
        assert uploaded.status_code == 202, uploaded.text

        async def counts() -> Any:
            return (await files.get(f"/v1/files/batch/{batch_id}")).json()["counts"]

        await eventually(counts, lambda c: c["provisioned"] == count, 120, "essays extracted")
    return batch_id


async def request_assessment(cj: httpx.AsyncClient, batch_id: str, essays: int) -> str:
    """Retries while the CJ worker has not yet consumed all of the batch's provisioned events."""

    async def post() -> httpx.Response:
        body = {"batch_id": batch_id, "expected_essays": essays}
        return await cj.post("/v1/assessments", json=body)

    created = await eventually(post, lambda r: r.status_code != 409, 60, "CJ knows the batch")
    assert created.status_code == 202, created.text
    return str(created.json()["assessment_id"])


async def user_credits(platform: Platform, teacher: str, correlation: UUID) -> tuple[int, int]:
    """(balance, credits held) of the teacher's own account."""
    async with client(platform, CREDITS, teacher, correlation) as credits:
        body = (await credits.get("/v1/entitlements/balance")).json()
    balance = sum(int(a["balance"]) for a in body["accounts"] if a["subject_type"] == "user")
    held = sum(int(h["credits_remaining"]) for h in body["active_holds"])
    return balance, held


def assessment_probe(cj: httpx.AsyncClient, assessment_id: str) -> Callable[[], Awaitable[Any]]:
    async def probe() -> Any:
        return (await cj.get(f"/v1/assessments/{assessment_id}")).json()

    return probe


@needs(*ALL)
async def test_cj_worker_killed_mid_assessment_completes_and_charges_each_comparison_once(
    platform: Platform,
) -> None:
    teacher, correlation = f"fault-cj-{uuid4().hex[:8]}", uuid4()
    batch_id = await processed_batch(
        platform, teacher, correlation, 9
    )  # 45 comparisons: within the 50-credit signup bonus
    before, _ = await user_credits(platform, teacher, correlation)
    async with client(platform, CJ, teacher, correlation) as cj:
        assessment_id = await request_assessment(cj, batch_id, 9)
        probe = assessment_probe(cj, assessment_id)
        running = await eventually(
            probe, lambda a: a["progress"]["comparisons_completed"] > 0, 120, "first judgements"
        )
        assert running["state"] == "comparing", running
        await platform.kill_and_restart("cj_assessment worker")
        final = await eventually(
            probe, lambda a: a["state"] in {"completed", "failed"}, 240, "assessment finished"
        )
        results = (await cj.get(f"/v1/assessments/{assessment_id}/results")).json()

    assert final["state"] == "completed", final
    done = final["progress"]["comparisons_completed"]
    assert done > running["progress"]["comparisons_completed"]
    assert sum(e["comparison_count"] for e in results["essays"]) == 2 * done
    after, held = await user_credits(platform, teacher, correlation)
    assert (before - after, held) == (done, 0)


@needs(FILES)
async def test_uploads_while_kafka_does_not_answer_are_all_announced_once_it_is_back(
    platform: Platform,
) -> None:
    teacher, correlation = f"fault-kafka-{uuid4().hex[:8]}", uuid4()
    async with client(platform, FILES, teacher, correlation) as files:
        batch = await files.post("/v1/files/batch", json={"title": "Outage", "course_code": "ENG5"})
        batch_id = str(batch.json()["batch_id"])
        with platform.kafka_frozen():
            uploads = [
                await files.post(f"/v1/files/batch/{batch_id}/files", files=essay_files(8)[i::4])
                for i in range(4)
            ]
            await asyncio.sleep(15)
        assert [u.status_code for u in uploads] == [202] * 4, [u.text for u in uploads]

    provisioned = await eventually(
        lambda: platform.events(
            topic_name(ProcessingEvent.ESSAY_CONTENT_PROVISIONED), correlation, 0
        ),
        lambda events: len(events) >= 8,
        180,
        "every essay announced after the outage",
    )
    ids = [e["data"]["file_upload_id"] for e in provisioned]
    assert len(set(ids)) == 8
    added = await platform.events(topic_name(ProcessingEvent.BATCH_FILE_ADDED), correlation, 8)
    assert {e["data"]["batch_id"] for e in added} == {batch_id}


@needs(*ALL)
async def test_an_assessment_requested_while_entitlements_is_down_fails_plainly_charging_nothing(
    platform: Platform,
) -> None:
    teacher, correlation = f"fault-credits-{uuid4().hex[:8]}", uuid4()
    batch_id = await processed_batch(platform, teacher, correlation, 4)
    before = await user_credits(platform, teacher, correlation)
    await platform.stop_service_process("entitlements api")
    try:
        async with client(platform, CJ, teacher, correlation) as cj:
            assessment_id = await request_assessment(cj, batch_id, 4)
            probe = assessment_probe(cj, assessment_id)
            waiting = await eventually(
                probe, lambda a: a["state"] != "initializing", 60, "waiting for credits"
            )
            # AUTHORIZATION_WAIT_SECONDS (60 s by default), then one more retry (5 s)
            final = await eventually(
                probe, lambda a: a["state"] in {"failed", "completed"}, 150, "a plain failure"
            )
    finally:
        await platform.start_service_process("entitlements api")
    assert waiting["state"] == "awaiting_authorization", waiting
    assert final["state"] == "failed", final
    assert final["error"]["error_code"] == "SERVICE_UNAVAILABLE", final
    assert "entitlements unavailable" in final["error"]["message"]
    assert final["progress"]["comparisons_completed"] == 0
    failed = await platform.events(
        topic_name(ProcessingEvent.CJ_ASSESSMENT_FAILED),
        correlation,
        1,
    )
    assert {e["data"]["assessment_id"] for e in failed} == {assessment_id}
    await wait_healthy(platform, CREDITS)
    assert await user_credits(platform, teacher, correlation) == before


async def wait_healthy(platform: Platform, service: str) -> None:
    async with httpx.AsyncClient(base_url=platform.url(service), timeout=5.0) as http:

        async def health() -> int:
            try:
                return (await http.get("/healthz")).status_code
            except httpx.HTTPError:
                return 0

        await eventually(health, lambda status: status == 200, 60, f"{service} healthy")
