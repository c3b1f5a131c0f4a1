"""The HTTP API on real PostgreSQL and Redis, with local fake entitlements, file and LLM servers."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import uuid4

import pytest

from common_core.error_enums import CJAssessmentErrorCode, http_status_for
from huleedu_service_libs.app import HuleEduApp
from services.cj_assessment_service.tests.integration.conftest import (
    Database,
    Externals,
    Worker,
    teacher,
)

pytestmark = pytest.mark.integration
QUALITIES = [-2.0, -1.2, -0.5, 0.0, 0.6, 1.1, 1.9, 2.6]


async def post(app: HuleEduApp, path: str, body: Any, **headers: str) -> Any:
    client = app.test_client()
    return await client.post(path, json=body, headers=headers or teacher())


def assert_error(payload: dict[str, Any], code: str) -> None:
    assert payload["error_code"] == code
    assert payload["original_correlation_id"] == "corr-test-1"
    assert payload["service"] == "cj_assessment_service"


async def test_a_batch_is_assessed_through_the_api(
    app: HuleEduApp, worker: Worker, externals: Externals, db: Database
) -> None:
    batch = await worker.provision(QUALITIES)
    created = await post(app, "/v1/assessments", {"batch_id": str(batch)})
    assert created.status_code == 202
    body = await created.get_json()
    assert body["state"] == "initializing"
    assert body["judge_simulated"] is True
    assessment_id = body["assessment_id"]

    await worker.drain()
    client = app.test_client()
    status = await (
        await client.get(f"/v1/assessments/{assessment_id}", headers=teacher())
    ).get_json()
    assert status["state"] == "completed"
    progress = status["progress"]
    assert 0 < progress["comparisons_completed"] <= progress["comparisons_planned"] == 24
    assert status["reliability"] is not None
    assert 0.0 <= status["split_half_reliability"] <= 1.0

    results = await client.get(f"/v1/assessments/{assessment_id}/results", headers=teacher())
    assert results.status_code == 200
    payload = await results.get_json()
    assert payload["assessment"]["split_half_reliability"] == status["split_half_reliability"]
    assert [e["rank"] for e in payload["essays"]] == list(range(1, 9))
    assert payload["grades_projected"] is False
    assert len(payload["notes"]) == 2  # no anchors; simulated judge

    assert externals.entitlements.charged == progress["comparisons_completed"]
    assert externals.entitlements.only_hold().released
    types = [
        r.event_type
        for r in await db.rows(
            "SELECT event_type FROM event_outbox WHERE aggregate_id = :a ORDER BY seq",
            a=assessment_id,
        )
    ]
    assert types == [
        "huleedu.cj.assessment.started.v1",
        "huleedu.cj.assessment.completed.v1",
        "huleedu.cj.assessment.result_published.v1",
    ]
    rows = await db.scalar(
        "SELECT count(*) FROM comparisons WHERE assessment_id = :a AND winner IS NOT NULL",
        a=assessment_id,
    )
    assert rows == progress["comparisons_completed"]
    await judges_match_the_stored_comparisons(payload["judges"], db, assessment_id)


async def judges_match_the_stored_comparisons(
    judges: list[dict[str, Any]], db: Database, assessment_id: str
) -> None:
    stored = await db.rows(
        "SELECT judge, count(*) AS n, avg(CASE WHEN winner = 'A' THEN 1.0 ELSE 0.0 END) AS a"
        " FROM comparisons WHERE assessment_id = :a AND status = 'completed' GROUP BY judge",
        a=assessment_id,
    )
    assert [(j["judge"], j["judgements"]) for j in judges] == [(r.judge, r.n) for r in stored]
    (judge,) = judges
    assert judge["judge"].startswith("simulated:seed=")
    assert judge["first_position_wins"] == pytest.approx(float(stored[0].a))
    assert 0.5 <= judge["expected_agreement"] <= 1.0
    assert 0.0 <= judge["agreement"] <= 1.0
    assert judge["position_bias_se"] > 0.0
    assert judge["infit"] > 0.0


async def test_bad_requests_get_error_details(app: HuleEduApp, worker: Worker) -> None:
    client = app.test_client()
    no_user = await client.post("/v1/assessments", json={"batch_id": str(uuid4())})
    assert no_user.status_code == 401
    malformed = await client.post(
        "/v1/assessments",
        data="{not json",
        headers={**teacher(), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    assert_error(await malformed.get_json(), "VALIDATION_ERROR")
    wrong = await post(app, "/v1/assessments", {"batch_id": 5})
    assert wrong.status_code == 422
    unknown_field = await post(app, "/v1/assessments", {"batch_id": str(uuid4()), "x": 1})
    assert unknown_field.status_code == 422
    too_many = await post(
        app, "/v1/assessments", {"batch_id": str(uuid4()), "comparisons_per_essay": 1000}
    )
    assert too_many.status_code == 422
    missing = await post(app, "/v1/assessments", {"batch_id": str(uuid4())})
    assert missing.status_code == 404
    assert_error(await missing.get_json(), "RESOURCE_NOT_FOUND")
    huge = await client.post(
        "/v1/assessments",
        data="x" * 3_000_000,
        headers={**teacher(), "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    unknown = await client.get(f"/v1/assessments/{uuid4()}", headers=teacher())
    assert unknown.status_code == 404
    not_uuid = await client.get("/v1/assessments/abc", headers=teacher())
    assert not_uuid.status_code == 404


async def test_one_essay_is_insufficient(app: HuleEduApp, worker: Worker, db: Database) -> None:
    batch = await worker.provision([0.0])
    response = await post(app, "/v1/assessments", {"batch_id": str(batch)})
    assert response.status_code == http_status_for(CJAssessmentErrorCode.INSUFFICIENT_ESSAYS) == 422
    assert_error(await response.get_json(), "INSUFFICIENT_ESSAYS")
    assert await db.scalar("SELECT count(*) FROM assessments") == 0
    assert await db.scalar("SELECT count(*) FROM event_outbox") == 0


async def test_expected_essays_holds_the_request_until_cj_knows_the_whole_batch(
    app: HuleEduApp, worker: Worker, db: Database
) -> None:
    batch = await worker.provision(QUALITIES[:3])
    body = {"batch_id": str(batch), "expected_essays": 4}
    early = await post(app, "/v1/assessments", body)
    assert early.status_code == 409
    payload = await early.get_json()
    assert_error(payload, "CONFLICT")
    assert payload["details"] == {"batch_id": str(batch), "known_essays": 3, "expected_essays": 4}
    unknown = await post(app, "/v1/assessments", {"batch_id": str(uuid4()), "expected_essays": 2})
    assert unknown.status_code == 409
    assert (await unknown.get_json())["details"]["known_essays"] == 0
    assert await db.scalar("SELECT count(*) FROM assessments") == 0

    await worker.provision(QUALITIES[3:4], batch_id=batch)
    ready = await post(app, "/v1/assessments", body)
    assert ready.status_code == 202
    assert (await ready.get_json())["progress"]["comparisons_planned"] > 0
    assert await db.scalar("SELECT count(*) FROM assessment_essays") == 4


async def test_another_teachers_batch_and_assessment_are_invisible(
    app: HuleEduApp, worker: Worker
) -> None:
    batch = await worker.provision(QUALITIES[:3])
    foreign = await post(app, "/v1/assessments", {"batch_id": str(batch)}, **teacher("intruder"))
    assert foreign.status_code == 404
    mine = await (await post(app, "/v1/assessments", {"batch_id": str(batch)})).get_json()
    client = app.test_client()
    path = f"/v1/assessments/{mine['assessment_id']}"
    for method in (client.get, client.delete):
        assert (await method(path, headers=teacher("intruder"))).status_code == 404
    again = await post(app, "/v1/assessments", {"batch_id": str(batch)})
    assert again.status_code == 409
    early = await client.get(f"{path}/results", headers=teacher())
    assert early.status_code == 409


async def test_cancel_while_running_then_never_again(
    app: HuleEduApp, worker: Worker, externals: Externals, db: Database
) -> None:
    batch = await worker.provision(QUALITIES)
    created = await (await post(app, "/v1/assessments", {"batch_id": str(batch)})).get_json()
    client = app.test_client()
    path = f"/v1/assessments/{created['assessment_id']}"
    cancelled = await client.delete(path, headers=teacher())
    assert cancelled.status_code == 200
    assert (await cancelled.get_json())["state"] == "cancelled"
    again = await client.delete(path, headers=teacher())
    assert again.status_code == 409
    assert_error(await again.get_json(), "BATCH_ALREADY_COMPLETED")
    await worker.drain()
    assert externals.entitlements.holds == {}  # cancelled before any hold was taken
    failed = await db.scalar(
        "SELECT count(*) FROM event_outbox WHERE event_type = 'huleedu.cj.assessment.failed.v1'"
    )
    assert failed == 1


async def test_refused_credits_fail_with_an_event(
    app: HuleEduApp, worker: Worker, externals: Externals, db: Database
) -> None:
    externals.entitlements.balance = 3
    batch = await worker.provision(QUALITIES)
    created = await (await post(app, "/v1/assessments", {"batch_id": str(batch)})).get_json()
    await worker.drain()
    client = app.test_client()
    status = await (
        await client.get(f"/v1/assessments/{created['assessment_id']}", headers=teacher())
    ).get_json()
    assert status["state"] == "failed"
    assert status["error"]["error_code"] == "INSUFFICIENT_CREDITS"
    event = await db.scalar(
        "SELECT event_data::text FROM event_outbox WHERE event_type = :t",
        t="huleedu.cj.assessment.failed.v1",
    )
    assert json.loads(event)["data"]["error_detail"]["error_code"] == "INSUFFICIENT_CREDITS"
    assert externals.entitlements.charged == 0


async def test_anchors_are_registered_listed_and_validated(app: HuleEduApp) -> None:
    body = {
        "course_code": "ENG6",
        "anchors": [
            {"grade": "E", "text": "An E essay.", "label": "weak"},
            {"grade": "A", "text": "An A essay."},
        ],
    }
    created = await post(app, "/v1/anchors", body)
    assert created.status_code == 201
    anchors = (await created.get_json())["anchors"]
    assert [a["grade"] for a in anchors] == ["E", "A"]
    assert anchors[0]["grade_scale"] == "swedish_a_f"
    client = app.test_client()
    listed = await (await client.get("/v1/anchors?course_code=ENG6", headers=teacher())).get_json()
    assert len(listed["anchors"]) == 2
    assert "text" not in listed["anchors"][0]
    others = await (await client.get("/v1/anchors", headers=teacher("other"))).get_json()
    assert others["anchors"] == []
    bad_grade = await post(app, "/v1/anchors", {**body, "anchors": [{"grade": "Z", "text": "x"}]})
    assert bad_grade.status_code == 400
    assert_error(await bad_grade.get_json(), "VALIDATION_ERROR")
    bad_course = await post(app, "/v1/anchors", {**body, "course_code": "XYZ"})
    assert bad_course.status_code == 422
    empty = await post(app, "/v1/anchors", {**body, "anchors": []})
    assert empty.status_code == 422


async def test_concurrent_requests_for_one_batch_start_one_assessment(
    app: HuleEduApp, worker: Worker, db: Database
) -> None:
    batch = await worker.provision(QUALITIES[:4])
    responses = await asyncio.gather(
        *(post(app, "/v1/assessments", {"batch_id": str(batch)}) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [202, 409, 409, 409]
    assert await db.scalar("SELECT count(*) FROM assessments") == 1


async def test_the_openapi_document_lists_the_routes(app: HuleEduApp) -> None:
    document = await (await app.test_client().get("/openapi.json")).get_json()
    paths = {path.rstrip("/") for path in document["paths"]}
    assert {"/v1/assessments", "/v1/assessments/{assessment_id}", "/v1/anchors"} <= paths
