"""`pdm run demo`: the teacher's journey over HTTP against a running stack (`pdm run stack`).

Creates a class and imports its roster, creates a batch and uploads the sample essays
(scripts/demo_data: .txt, .docx and .pdf), follows their extraction, shows the teacher's
credits, and hands the batch to the CJ assessment service. Service URLs come from the stack's
description file (.stack/stack.json), so it follows any --port the stack was given.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from scripts.demo_data.essays import ESSAYS, HERE, path_of
from scripts.platform_services import REPO_ROOT

CM, FILES, CREDITS, CJ = (
    "class_management_service",
    "file_service",
    "entitlements_service",
    "cj_assessment_service",
)


class DemoError(RuntimeError):
    """A step failed; the message says which and why."""


@dataclass
class Journey:
    urls: dict[str, str]
    teacher: str
    correlation: str
    timeout: float

    def client(self, service: str) -> httpx.Client:
        if service not in self.urls:
            raise DemoError(f"{service} is not running in this stack (not built yet?)")
        headers = {"X-User-ID": self.teacher, "X-Correlation-ID": self.correlation}
        return httpx.Client(base_url=self.urls[service], headers=headers, timeout=30.0)


def step(number: int, text: str) -> None:
    print(f"[{number}/5] {text}", flush=True)


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise DemoError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()


def create_class(journey: Journey) -> str:
    with journey.client(CM) as cm:
        body = {"name": "9A", "course_codes": ["ENG5"]}
        created = expect(cm.post("/v1/classes", json=body), 201, "create class")
        roster = (HERE / "roster.csv").read_bytes()
        headers = {"Content-Type": "text/csv"}
        path = f"/v1/classes/{created['id']}/students/import"
        report = expect(cm.post(path, content=roster, headers=headers), 200, "import roster")
    step(
        1, f"class {created['name']} ({created['course_code']}) created; roster {report['summary']}"
    )
    return str(created["id"])


def upload_essays(journey: Journey, class_id: str) -> str:
    with journey.client(FILES) as files:
        body = {"title": "Tablets or textbooks?", "course_code": "ENG5", "class_id": class_id}
        batch = expect(files.post("/v1/files/batch", json=body), 201, "create batch")
        parts = [("files", (e.file_name, path_of(e).read_bytes())) for e in ESSAYS]
        path = f"/v1/files/batch/{batch['batch_id']}/files"
        expect(files.post(path, files=parts), 202, "upload essays")
        step(2, f"batch {batch['batch_id']}: {len(ESSAYS)} essays uploaded (txt, docx, pdf)")
        counts = follow_processing(journey, files, str(batch["batch_id"]))
    step(3, f"extracted: {counts['provisioned']} ready, {counts['validation_failed']} rejected")
    return str(batch["batch_id"])


def follow_processing(journey: Journey, files: httpx.Client, batch_id: str) -> dict[str, int]:
    deadline, shown = time.monotonic() + journey.timeout, -1
    while time.monotonic() < deadline:
        state = expect(files.get(f"/v1/files/batch/{batch_id}"), 200, "batch state")
        counts: dict[str, int] = state["counts"]
        done = counts["provisioned"] + counts["validation_failed"]
        if done != shown:
            print(f"      processing {progress_bar(done, counts['total'])}", flush=True)
            shown = done
        if done >= counts["total"]:
            return counts
        time.sleep(0.5)
    raise DemoError(f"essays not processed within {journey.timeout:.0f} s")


def progress_bar(done: int, total: int, width: int = 24) -> str:
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def show_credits(journey: Journey) -> None:
    with journey.client(CREDITS) as credits:
        balance = expect(credits.get("/v1/entitlements/balance"), 200, "credit balance")
    step(4, f"credits: {json.dumps(balance)}")


def assess(journey: Journey, batch_id: str) -> None:
    with journey.client(CJ) as cj:
        body = {"batch_id": batch_id}
        started = expect(cj.post("/v1/assessments", json=body), 202, "request CJ assessment")
    step(5, f"CJ assessment requested: {json.dumps(started)}")


def load_urls(stack_file: Path) -> dict[str, str]:
    if not stack_file.is_file():
        raise DemoError(f"no running stack ({stack_file} is missing): start `pdm run stack`")
    description = json.loads(stack_file.read_text())
    for name, parts in description.get("missing", {}).items():
        print(f"note: {name} lacks {', '.join(parts)}")
    return dict(description["services"])


def run(journey: Journey) -> None:
    print(f"HuleEdu demo as teacher {journey.teacher}, correlation id {journey.correlation}")
    class_id = create_class(journey)
    batch_id = upload_essays(journey, class_id)
    show_credits(journey)
    assess(journey, batch_id)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-file", type=Path, default=REPO_ROOT / ".stack" / "stack.json")
    parser.add_argument("--teacher", default=f"demo-teacher-{uuid4().hex[:8]}")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per waiting step")
    arguments = parser.parse_args(argv)
    try:
        urls = load_urls(arguments.stack_file)
        run(Journey(urls, arguments.teacher, f"demo-{uuid4()}", arguments.timeout))
    except (DemoError, httpx.HTTPError) as error:
        print(f"demo stopped: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
