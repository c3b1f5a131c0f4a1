"""`pdm run demo`: the teacher's journey over HTTP against a running stack (`pdm run stack`).

Creates a class and imports its roster, creates a batch and uploads the sample essays
(scripts/demo_data: .txt, .docx and .pdf), follows their extraction, has the essays' authors
suggested (scripts/demo_matching.py stands in for the NLP service) and confirms them as the
teacher, shows the teacher's credits, registers graded anchor essays, runs a CJ assessment of
the batch (simulated judge) with its progress, and prints the ranking with scores, standard
errors, projected grades and the matched students, and the credits charged. Every call goes
through the API gateway with a development token for the teacher (as `pdm run token` mints it).
The gateway's and the services' URLs and the Kafka bootstrap come from the stack's description
file (.stack/stack.json), so it follows any --port the stack was given; against Docker Compose
(`docker compose run --rm demo`) they are given instead: --gateway URL --kafka-bootstrap HOST:PORT.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx

from scripts.demo_data.essays import ANCHORS, ESSAYS, HERE, path_of
from scripts.demo_matching import publish_suggestions, suggest_authors
from scripts.mint_token import development_token
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
    kafka_bootstrap: str
    teacher: str
    correlation: str
    timeout: float
    gateway: str

    def client(self, service: str) -> httpx.Client:
        if service not in self.urls:
            raise DemoError(f"{service} is not running in this stack (not built yet?)")
        headers = {
            "Authorization": f"Bearer {development_token(self.teacher, [])}",
            "X-Correlation-ID": self.correlation,
        }
        return httpx.Client(base_url=self.gateway, headers=headers, timeout=30.0)


TERMINAL_STATES = {"completed", "failed", "cancelled"}
# 6 essays and 5 anchors at 9 comparisons each: 50 comparisons, a new teacher's 50 credits.
COMPARISONS_PER_ESSAY = 9
STEPS = 7


def step(number: int, text: str) -> None:
    print(f"[{number}/{STEPS}] {text}", flush=True)


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise DemoError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()


def create_class(journey: Journey) -> tuple[str, dict[str, UUID]]:
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
    return str(created["id"]), students_by_name(roster, report["rows"])


def students_by_name(roster_csv: bytes, rows: list[dict[str, Any]]) -> dict[str, UUID]:
    """ "First Last" -> student id, joining the roster file with the import report by email."""
    ids = {row["email"]: UUID(row["student_id"]) for row in rows if row["student_id"]}
    lines = roster_csv.decode("utf-8-sig").splitlines()
    return {
        f"{line['first_name']} {line['last_name']}": ids[line["email"]]
        for line in csv.DictReader(lines)
        if line["email"] in ids
    }


def upload_essays(journey: Journey, class_id: str) -> tuple[str, dict[str, str]]:
    with journey.client(FILES) as files:
        body = {"title": "Tablets or textbooks?", "course_code": "ENG5", "class_id": class_id}
        batch = expect(files.post("/v1/files/batch", json=body), 201, "create batch")
        parts = [("files", (e.file_name, path_of(e).read_bytes())) for e in ESSAYS]
        path = f"/v1/files/batch/{batch['batch_id']}/files"
        uploaded = expect(files.post(path, files=parts), 202, "upload essays")
        step(2, f"batch {batch['batch_id']}: {len(ESSAYS)} essays uploaded (txt, docx, pdf)")
        counts = follow_processing(journey, files, str(batch["batch_id"]))
    step(3, f"extracted: {counts['provisioned']} ready, {counts['validation_failed']} rejected")
    names = {str(f["file_upload_id"]): str(f["file_name"]) for f in uploaded["files"]}
    return str(batch["batch_id"]), names


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


def match_authors(
    journey: Journey, batch_id: str, class_id: str, names: dict[str, str], roster: dict[str, UUID]
) -> dict[str, str]:
    """Suggestions go through Kafka to the class management worker; the teacher then accepts
    every suggestion. Returns essay id -> the confirmed student's name."""
    essays = {UUID(essay): name for essay, name in names.items()}
    event = suggest_authors(UUID(batch_id), UUID(class_id), essays, roster)
    publish_suggestions(event, journey.kafka_bootstrap, journey.correlation)
    with journey.client(CM) as cm:
        path = f"/v1/batches/{batch_id}/student-associations"
        review = wait_for_suggestions(journey, cm, path, len(essays))
        decisions = [
            {
                "essay_id": item["essay_id"],
                "action": "accept" if item["suggested_student"] else "reject",
            }
            for item in review["associations"]
        ]
        confirmed = expect(
            cm.post(path + "/confirm", json={"decisions": decisions}), 200, "confirm"
        )
    students = {s["id"]: f"{s['first_name']} {s['last_name']}" for s in confirmed["roster"]}
    matched = {
        item["essay_id"]: students.get(item["student_id"], "-")
        for item in confirmed["associations"]
    }
    found = sum(1 for name in matched.values() if name != "-")
    step(4, f"authors: {found} of {len(essays)} essays matched to students and confirmed")
    return matched


def wait_for_suggestions(journey: Journey, cm: httpx.Client, path: str, count: int) -> Any:
    deadline = time.monotonic() + journey.timeout
    while time.monotonic() < deadline:
        response = cm.get(path)
        if response.status_code == 200 and len(response.json()["associations"]) == count:
            return response.json()
        time.sleep(0.3)
    raise DemoError(f"the author suggestions were not stored within {journey.timeout:.0f} s")


def credit_balance(journey: Journey) -> Any:
    with journey.client(CREDITS) as credits:
        return expect(credits.get("/v1/entitlements/balance"), 200, "credit balance")


def register_anchors(journey: Journey) -> None:
    anchors = [{"grade": a.grade, "text": a.text, "label": f"anchor {a.grade}"} for a in ANCHORS]
    with journey.client(CJ) as cj:
        body = {"course_code": "ENG5", "anchors": anchors}
        expect(cj.post("/v1/anchors", json=body), 201, "register anchors")
    grades = ", ".join(a.grade for a in ANCHORS)
    step(5, f"{len(anchors)} anchor essays registered (grades {grades})")


def start_assessment(journey: Journey, cj: httpx.Client, batch_id: str) -> Any:
    """CJ learns the batch from the file service's events: 409 until it has all of them."""
    body = {
        "batch_id": batch_id,
        "expected_essays": len(ESSAYS),
        "comparisons_per_essay": COMPARISONS_PER_ESSAY,
    }
    deadline = time.monotonic() + journey.timeout
    response = cj.post("/v1/assessments", json=body)
    while response.status_code == 409 and time.monotonic() < deadline:
        time.sleep(0.3)
        response = cj.post("/v1/assessments", json=body)
    return expect(response, 202, "request CJ assessment")


def assess(journey: Journey, batch_id: str) -> Any:
    with journey.client(CJ) as cj:
        started = start_assessment(journey, cj, batch_id)
        judge = "simulated judge" if started["judge_simulated"] else started["judge_kind"]
        step(6, f"CJ assessment {started['assessment_id']} running ({judge})")
        path = f"/v1/assessments/{started['assessment_id']}"
        final = follow_assessment(journey, cj, path)
        if final["state"] != "completed":
            raise DemoError(f"the assessment ended {final['state']}: {final['error']}")
        return expect(cj.get(path + "/results"), 200, "results")


def follow_assessment(journey: Journey, cj: httpx.Client, path: str) -> Any:
    deadline, shown = time.monotonic() + journey.timeout, (-1, -1)
    while time.monotonic() < deadline:
        state = expect(cj.get(path), 200, "assessment state")
        progress = state["progress"]
        done, planned = progress["comparisons_completed"], progress["comparisons_planned"]
        if (done, planned) != shown:
            print(f"      comparisons {progress_bar(done, planned)} {state['state']}", flush=True)
            shown = (done, planned)
        if state["state"] in TERMINAL_STATES:
            return state
        time.sleep(0.5)
    raise DemoError(f"the assessment did not finish within {journey.timeout:.0f} s")


def ranking_table(results: Any, names: dict[str, str], students: dict[str, str]) -> str:
    rows = [("rank", "essay", "student", "score", "SE", "grade", "p(grade)")]
    for essay in results["essays"]:
        name = "(anchor)" if essay["is_anchor"] else names.get(essay["essay_id"], essay["essay_id"])
        probability = essay["grade_probability"]
        rows.append(
            (
                str(essay["rank"]),
                name,
                students.get(essay["essay_id"], "-"),
                f"{essay['score']:+.2f}",
                f"{essay['standard_error']:.2f}",
                essay["projected_grade"] or "-",
                "-" if probability is None else f"{probability:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join("      " + line for line in lines)


def show_outcome(
    journey: Journey, results: Any, names: dict[str, str], students: dict[str, str], before: Any
) -> None:
    assessment = results["assessment"]
    reliability = assessment["reliability"]
    shown = "n/a" if reliability is None else f"{reliability:.2f}"
    step(7, f"ranking ({assessment['stop_reason']}; reliability {shown}):")
    print(ranking_table(results, names, students))
    for judge in results["judges"]:
        print(
            f"      judge {judge['judge']}: {judge['judgements']} judgements, agreeing with the"
            f" consensus {judge['agreement']:.2f} (expected {judge['expected_agreement']:.2f}),"
            f" Essay A won {judge['first_position_wins']:.2f}"
        )
    for note in results["notes"]:
        print(f"      note: {note}")
    spent = user_balance(before) - user_balance(credit_balance(journey))
    done = assessment["progress"]["comparisons_completed"]
    print(f"      credits charged: {spent} for {done} comparisons", flush=True)


def user_balance(balance: Any) -> int:
    return sum(int(a["balance"]) for a in balance["accounts"] if a["subject_type"] == "user")


def load_stack(stack_file: Path) -> tuple[dict[str, str], str, str]:
    if not stack_file.is_file():
        raise DemoError(f"no running stack ({stack_file} is missing): start `pdm run stack`")
    description = json.loads(stack_file.read_text())
    for name, parts in description.get("missing", {}).items():
        print(f"note: {name} lacks {', '.join(parts)}")
    if "gateway" not in description:
        raise DemoError(f"{stack_file} names no API gateway: restart `pdm run stack`")
    services, kafka = dict(description["services"]), str(description["kafka_bootstrap"])
    return services, kafka, str(description["gateway"])


def given_platform(gateway: str, kafka_bootstrap: str | None) -> tuple[dict[str, str], str, str]:
    """A platform named on the command line: every service behind the one gateway."""
    if kafka_bootstrap is None:
        raise DemoError("--gateway needs --kafka-bootstrap (the NLP stand-in publishes to Kafka)")
    return dict.fromkeys((CM, FILES, CREDITS, CJ), gateway), kafka_bootstrap, gateway


def run(journey: Journey) -> None:
    print(f"HuleEdu demo as teacher {journey.teacher}, correlation id {journey.correlation}")
    class_id, roster = create_class(journey)
    batch_id, names = upload_essays(journey, class_id)
    students = match_authors(journey, batch_id, class_id, names, roster)
    before = credit_balance(journey)
    register_anchors(journey)
    results = assess(journey, batch_id)
    show_outcome(journey, results, names, students, before)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-file", type=Path, default=REPO_ROOT / ".stack" / "stack.json")
    parser.add_argument("--teacher", default=f"demo-teacher-{uuid4().hex[:8]}")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per waiting step")
    parser.add_argument("--correlation-id", default=f"demo-{uuid4()}", help="sent on every call")
    parser.add_argument("--gateway", help="the API gateway's URL (instead of the stack file)")
    parser.add_argument("--kafka-bootstrap", help="Kafka's bootstrap servers, with --gateway")
    arguments = parser.parse_args(argv)
    try:
        urls, kafka_bootstrap, gateway = (
            given_platform(arguments.gateway.rstrip("/"), arguments.kafka_bootstrap)
            if arguments.gateway
            else load_stack(arguments.stack_file)
        )
        run(
            Journey(
                urls,
                kafka_bootstrap,
                arguments.teacher,
                arguments.correlation_id,
                arguments.timeout,
                gateway,
            )
        )
    except (DemoError, httpx.HTTPError) as error:
        print(f"demo stopped: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
