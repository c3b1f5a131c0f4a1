"""A whole assessment judged by the LLM judge against a local fake chat-completions server that
answers garbage, rate-limits, times out and refuses along the way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from huleedu_service_libs.app import HuleEduApp
from services.cj_assessment_service.domain.prompts import PROMPT_VERSION
from services.cj_assessment_service.tests.integration.conftest import (
    Database,
    Externals,
    Worker,
    teacher,
)
from services.cj_assessment_service.tests.support.fake_llm import Scripted
from services.cj_assessment_service.workers.sweeper import StallSweeper

pytestmark = pytest.mark.integration
QUALITIES = [-2.0, -1.2, -0.5, 0.0, 0.6, 1.1, 1.9, 2.6]
SECRET_LABEL = "anchor-label-never-for-the-judge"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"JUDGE": "llm", "LLM_TIMEOUT_SECONDS": 0.5, "LLM_MAX_ATTEMPTS": 2}


async def test_an_llm_judged_assessment_survives_bad_answers_and_hides_anchors(
    app: HuleEduApp, worker: Worker, externals: Externals, db: Database
) -> None:
    client = app.test_client()
    anchors = {
        "course_code": "ENG6",
        "anchors": [
            {"grade": grade, "text": f"Reference essay. It has quality {q}.", "label": SECRET_LABEL}
            for grade, q in (("E", -1.5), ("C", 0.2), ("A", 2.0))
        ],
    }
    registered = await client.post("/v1/anchors", json=anchors, headers=teacher())
    anchor_ids = [a["anchor_id"] for a in (await registered.get_json())["anchors"]]
    externals.llm.then(
        Scripted(content="Essay A, obviously."),
        Scripted(content='{"winner": "A"}'),
        Scripted(status=429, headers={"Retry-After": "0.05"}),
        Scripted(delay=1.0),
        Scripted(refusal="I will not compare these."),
        Scripted(status=500),
        Scripted(content='{"winner": "Essay B", "confidence": 0.5, "justification": "x"}'),
    )
    batch = await worker.provision(QUALITIES)
    created = await client.post("/v1/assessments", json={"batch_id": str(batch)}, headers=teacher())
    assessment_id = (await created.get_json())["assessment_id"]
    assert (await created.get_json())["judge_kind"] == "llm"

    await worker.finish(db, assessment_id)

    status = await (
        await client.get(f"/v1/assessments/{assessment_id}", headers=teacher())
    ).get_json()
    assert status["state"] == "completed"
    rows = await db.rows(
        "SELECT status, winner, attempts, error, judge FROM comparisons WHERE assessment_id = :a",
        a=assessment_id,
    )
    assert {r.status for r in rows} <= {"completed", "failed"}
    assert all(r.winner is None for r in rows if r.status == "failed")
    assert all(r.winner in ("A", "B") for r in rows if r.status == "completed")
    assert any(r.attempts > 1 for r in rows)  # unusable answers were asked again
    assert {r.judge for r in rows if r.status == "completed"} == {
        f"llm:gpt-4o-mini;prompt={PROMPT_VERSION}"
    }
    completed = sum(r.status == "completed" for r in rows)
    assert completed == status["progress"]["comparisons_completed"]
    assert externals.entitlements.charged == completed
    await _assert_counted(worker, completed, dropped=sum(r.status == "failed" for r in rows))

    for sent in externals.llm.requests:
        prompt = json.dumps(sent["body"]["messages"])
        assert SECRET_LABEL not in prompt
        assert not any(anchor_id in prompt for anchor_id in anchor_ids)
        assert "anchor" not in prompt.lower()

    results = await (
        await client.get(f"/v1/assessments/{assessment_id}/results", headers=teacher())
    ).get_json()
    assert results["grades_projected"] is True
    assert sum(e["is_anchor"] for e in results["essays"]) == 3
    for essay in results["essays"]:
        assert sum(essay["grade_probabilities"].values()) == pytest.approx(1.0)
        assert essay["grade_probability"] < 1.0
        assert essay["grade_confidence"] in ("high", "medium", "low")


async def _assert_counted(worker: Worker, completed: int, dropped: int) -> None:
    """The worker's registry counted what the database holds."""
    registry = await worker.container.get(CollectorRegistry)
    await (await worker.container.get(StallSweeper)).sweep()  # refreshes the state gauge

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    assert value("cj_comparisons_total", outcome="judged") == completed
    assert value("cj_comparisons_total", outcome="dropped") == dropped
    assert value("cj_comparisons_total", outcome="invalid") >= 1  # asked again
    assert value("cj_judge_errors_total", reason="invalid_answer") >= 1
    assert value("cj_judge_duration_seconds_count", judge="llm") >= completed
    assert value("cj_assessment_transitions_total", state="comparing") == 1
    assert value("cj_assessment_transitions_total", state="completed") == 1
    assert value("cj_assessments", state="completed") == 1
    assert value("cj_assessments", state="comparing") == 0
