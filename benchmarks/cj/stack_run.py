"""A 30-essay CJ assessment on a running local stack (`pdm run stack`), simulated judge.

The teacher's path over HTTP: credits granted (admin API), a file-service batch with 30 .txt
essays, extraction, the CJ service learning the essays from the file service's events, then
POST /v1/assessments and polling until the assessment has completed.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

WORDS = [
    "school",
    "students",
    "learning",
    "teachers",
    "tablets",
    "textbooks",
    "reading",
    "writing",
    "evidence",
    "argument",
    "research",
    "attention",
    "memory",
    "screens",
    "paper",
    "notes",
    "library",
    "homework",
    "classroom",
    "technology",
    "consequently",
    "moreover",
    "nevertheless",
    "although",
    "therefore",
    "furthermore",
    "however",
    "whereas",
    "comprehension",
    "concentration",
    "distraction",
    "accessibility",
    "sustainability",
    "responsibility",
    "perspective",
    "curriculum",
    "assessment",
    "motivation",
    "collaboration",
    "independence",
]


UPLOAD_CHUNK = 10


@dataclass
class StackUrls:
    files: str
    credits: str
    cj: str


def essay_text(index: int, rng: random.Random) -> str:
    vocabulary = WORDS[: 12 + index]  # later essays draw on a richer vocabulary
    sentences = []
    for _ in range(6 + index // 2):
        length = rng.randint(12, 22)
        sentences.append(" ".join(rng.choice(vocabulary) for _ in range(length)).capitalize() + ".")
    return f"Essay {index}. " + " ".join(sentences)


def _expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{what}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()


def _wait(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")


def run_on_stack(stack_file: Path, essays: int, admin_key: str, timeout: float) -> dict[str, Any]:
    urls = _urls(stack_file)
    teacher = f"bench-teacher-{uuid4().hex[:8]}"
    headers = {"X-User-ID": teacher, "X-Correlation-ID": f"bench-{uuid4()}"}
    with httpx.Client(headers=headers, timeout=30.0) as http:
        _grant(http, urls, teacher, admin_key, credits=essays * 20)
        started = time.perf_counter()
        batch_id = _upload(http, urls, essays)
        uploaded = time.perf_counter()
        assessment = _request_assessment(http, urls, batch_id, essays, timeout)
        requested = time.perf_counter()
        final = _wait(
            "assessment completion",
            lambda: _terminal(http, urls, assessment["assessment_id"]),
            timeout,
        )
        done = time.perf_counter()
    return {
        "essays": essays,
        "upload_and_extraction_s": uploaded - started,
        "until_cj_knew_the_batch_s": requested - uploaded,
        "assessment_s": done - requested,
        "state": final["state"],
        "comparisons": final["progress"]["comparisons_completed"],
        "planned": final["progress"]["comparisons_planned"],
        "reliability": final["reliability"],
        "stop_reason": final["stop_reason"],
    }


def _urls(stack_file: Path) -> StackUrls:
    services = json.loads(stack_file.read_text())["services"]
    return StackUrls(
        services["file_service"],
        services["entitlements_service"],
        services["cj_assessment_service"],
    )


def _grant(http: httpx.Client, urls: StackUrls, teacher: str, admin_key: str, credits: int) -> None:
    path = f"{urls.credits}/admin/v1/entitlements/accounts/user/{teacher}/adjust"
    body = {"delta": credits, "note": "CJ benchmark"}
    _expect(http.post(path, json=body, headers={"X-Admin-API-Key": admin_key}), 200, "grant")


def _upload(http: httpx.Client, urls: StackUrls, essays: int) -> str:
    body = {"title": "CJ benchmark", "course_code": "ENG5"}
    batch = _expect(http.post(f"{urls.files}/v1/files/batch", json=body), 201, "create batch")
    rng = random.Random(1)
    parts = [("files", (f"essay-{i:02d}.txt", essay_text(i, rng).encode())) for i in range(essays)]
    batch_id = str(batch["batch_id"])
    for start in range(0, essays, UPLOAD_CHUNK):  # the file service takes 20 files per request
        chunk = parts[start : start + UPLOAD_CHUNK]
        path = f"{urls.files}/v1/files/batch/{batch_id}/files"
        _expect(http.post(path, files=chunk), 202, "upload")

    def extracted() -> bool:
        state = _expect(http.get(f"{urls.files}/v1/files/batch/{batch_id}"), 200, "batch state")
        return bool(state["counts"]["provisioned"] >= essays)

    _wait("extraction", extracted, 120)
    return batch_id


def _request_assessment(
    http: httpx.Client, urls: StackUrls, batch_id: str, essays: int, timeout: float
) -> dict[str, Any]:
    """Asks until the CJ service has learnt every essay of the batch from the events."""
    expected_planned = essays * 10 // 2

    def created() -> dict[str, Any] | None:
        response = http.post(f"{urls.cj}/v1/assessments", json={"batch_id": batch_id})
        if response.status_code in (404, 422):  # no essay, or too few, learnt yet
            return None
        body: dict[str, Any] = _expect(response, 202, "request assessment")
        if body["progress"]["comparisons_planned"] >= expected_planned:
            return body
        http.delete(f"{urls.cj}/v1/assessments/{body['assessment_id']}")
        return None

    result: dict[str, Any] = _wait("the CJ service learning the batch", created, timeout)
    return result


def _terminal(http: httpx.Client, urls: StackUrls, assessment_id: str) -> dict[str, Any] | None:
    body: dict[str, Any] = _expect(
        http.get(f"{urls.cj}/v1/assessments/{assessment_id}"), 200, "assessment state"
    )
    return body if body["state"] in ("completed", "failed", "cancelled") else None
