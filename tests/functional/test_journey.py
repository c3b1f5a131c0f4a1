"""The teacher's journey across real service processes, as far as the services are built.

Each step runs against the private platform (embedded PostgreSQL, Redis and Kafka; every
service's API and worker as child processes) and asserts the final state over HTTP and the
events on Kafka, all carrying the one correlation id the teacher's client sent.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from common_core.events.registry import ProcessingEvent, topic_name
from huleedu_service_libs.correlation import CorrelationContext
from scripts.demo_data.essays import ESSAYS, HERE, path_of
from scripts.platform_services import REPO_ROOT
from tests.functional.platform import Platform, client, multipart, needs

# The timeout covers the platform's start-up, which the first test of the session pays.
pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.timeout(600),
]
CM = "class_management_service"
FILES = "file_service"


async def create_class_with_roster(
    platform: Platform, teacher: str, correlation: UUID
) -> dict[str, Any]:
    async with client(platform, CM, teacher, correlation) as cm:
        created = await cm.post("/v1/classes", json={"name": "9A", "course_codes": ["ENG5"]})
        assert created.status_code == 201, created.text
        class_id = created.json()["id"]
        roster = (HERE / "roster.csv").read_bytes()
        imported = await cm.post(
            f"/v1/classes/{class_id}/students/import",
            content=roster,
            headers={"Content-Type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
        fetched = await cm.get(f"/v1/classes/{class_id}")
    assert fetched.status_code == 200
    return dict(fetched.json())


async def wait_until_processed(files: httpx.AsyncClient, batch_id: str, count: int) -> Any:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        state = (await files.get(f"/v1/files/batch/{batch_id}")).json()
        counts = state["counts"]
        if counts["provisioned"] + counts["validation_failed"] >= count:
            return state
        await asyncio.sleep(0.5)
    raise AssertionError(f"files not processed in time: {state['counts']}")


@needs(CM)
async def test_class_and_roster_reach_kafka_with_the_callers_correlation_id(
    platform: Platform,
) -> None:
    correlation = uuid4()

    details = await create_class_with_roster(platform, f"teacher-{uuid4()}", correlation)

    assert details["student_count"] == len(ESSAYS)
    classes = await platform.events(topic_name(ProcessingEvent.CLASS_CREATED), correlation, 1)
    students = await platform.events(
        topic_name(ProcessingEvent.STUDENT_CREATED), correlation, len(ESSAYS)
    )
    assert classes[0]["data"]["class_id"] == details["id"]
    assert classes[0]["source_service"] == CM
    assert len({event["event_id"] for event in students}) == len(ESSAYS)


@needs(CM, FILES)
async def test_uploaded_essays_are_extracted_and_announced_with_the_same_correlation_id(
    platform: Platform,
) -> None:
    teacher, correlation = f"teacher-{uuid4()}", uuid4()
    details = await create_class_with_roster(platform, teacher, correlation)

    async with client(platform, FILES, teacher, correlation) as files:
        batch = await files.post(
            "/v1/files/batch",
            json={"title": "Tablets", "course_code": "ENG5", "class_id": details["id"]},
        )
        assert batch.status_code == 201, batch.text
        batch_id = batch.json()["batch_id"]
        uploaded = await files.post(
            f"/v1/files/batch/{batch_id}/files", files=multipart([path_of(e) for e in ESSAYS])
        )
        assert uploaded.status_code == 202, uploaded.text
        state = await wait_until_processed(files, batch_id, len(ESSAYS))

    assert state["counts"]["provisioned"] == len(ESSAYS), state
    provisioned = await platform.events(
        topic_name(ProcessingEvent.ESSAY_CONTENT_PROVISIONED), correlation, len(ESSAYS)
    )
    assert {event["data"]["batch_id"] for event in provisioned} == {batch_id}
    assert {event["source_service"] for event in provisioned} == {FILES}


@needs(CM, FILES, "entitlements_service", "cj_assessment_service")
async def test_demo_walks_the_whole_journey_under_one_correlation_id(platform: Platform) -> None:
    original = f"journey-{uuid4()}"
    correlation = CorrelationContext.from_header(original).uuid
    argv = [sys.executable, str(REPO_ROOT / "scripts" / "demo.py")]
    argv += ["--stack-file", str(platform.stack.description_path), "--correlation-id", original]

    demo = await asyncio.to_thread(
        subprocess.run, argv, capture_output=True, text=True, timeout=400, check=False
    )

    assert demo.returncode == 0, demo.stdout + demo.stderr
    charged = re.search(r"credits charged: (\d+) for (\d+) comparisons", demo.stdout)
    assert charged is not None, demo.stdout
    assert charged[1] == charged[2] != "0"
    assert re.search(r"^\s+1\s+\S+\s+\S+( \S+)?\s+[+-]\d", demo.stdout, re.MULTILINE), demo.stdout
    matched = f"authors: {len(ESSAYS)} of {len(ESSAYS)} essays matched to students and confirmed"
    assert matched in demo.stdout, demo.stdout
    assert re.search(r"anna_lind\.txt\s+Anna Lind\s+[+-]\d", demo.stdout), demo.stdout
    assert re.search(r"judge simulated:seed=\d+: \d+ judgements", demo.stdout), demo.stdout
    # The demo's essays declare qualities for the simulated judge: the two strong essays rank
    # above the two weak ones (each inversion has a chance of about 1 in 1000).
    table = demo.stdout[demo.stdout.index("ranking (") :]
    rank_of = {e.file_name: table.index(e.file_name) for e in ESSAYS}
    for strong in ("chloe_hassan.docx", "emma_novak.pdf"):
        assert all(rank_of[strong] < rank_of[w] for w in ("ben_ortiz.txt", "farid_ali.pdf"))
    for event, count in [
        (ProcessingEvent.CLASS_CREATED, 1),
        (ProcessingEvent.STUDENT_ASSOCIATIONS_CONFIRMED, 1),
        (ProcessingEvent.ESSAY_CONTENT_PROVISIONED, len(ESSAYS)),
        (ProcessingEvent.CJ_ASSESSMENT_COMPLETED, 1),
        (ProcessingEvent.ASSESSMENT_RESULT, 1),
    ]:
        await platform.events(topic_name(event), correlation, count)
