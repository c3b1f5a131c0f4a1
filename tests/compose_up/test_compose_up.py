"""`docker compose up` for real: the platform image built once, every container up and healthy,
the teacher's journey through the published gateway port, and a worker restarted mid-assessment.

Run with `./dev pdm run compose-journey` (CI does); the ordinary suite deselects the marker.
Without a Docker engine with Compose v2 the test fails and says so: it never skips.
"""

from __future__ import annotations

import re
import time
from typing import Any
from uuid import uuid4

import httpx
import pytest

from scripts import demo
from tests.compose_up.compose_project import ComposeProject

pytestmark = [pytest.mark.compose, pytest.mark.timeout(1800)]
ONE_SHOT_JOBS = {"kafka_topic_setup"}
RESTARTED_WORKER = "cj_assessment_service_worker"


def gateway_url(compose: ComposeProject) -> str:
    return f"http://127.0.0.1:{compose.variables['HULEEDU_GATEWAY_PORT']}"


def is_one_shot(service: str) -> bool:
    return service in ONE_SHOT_JOBS or service.endswith("_migrate")


def teacher_journey(compose: ComposeProject) -> demo.Journey:
    gateway = gateway_url(compose)
    urls = dict.fromkeys((demo.CM, demo.FILES, demo.CREDITS, demo.CJ), gateway)
    teacher = f"compose-teacher-{uuid4().hex[:8]}"
    return demo.Journey(urls, "unused", teacher, f"compose-{uuid4()}", 300.0, gateway)


def test_every_service_is_healthy_and_every_job_exited_0(compose: ComposeProject) -> None:
    expected = set(compose.run("config", "--services").split())
    containers = {c["Service"]: c for c in compose.containers()}

    assert set(containers) == expected
    for service, container in containers.items():
        if is_one_shot(service):
            assert (container["State"], container["ExitCode"]) == ("exited", 0), service
        else:
            assert (container["State"], container["Health"]) == ("running", "healthy"), service
    assert httpx.get(gateway_url(compose) + "/healthz", timeout=10).status_code == 200


def test_only_the_gateway_publishes_a_port_and_on_loopback(compose: ComposeProject) -> None:
    published = {
        (c["Service"], p["URL"], p["TargetPort"])
        for c in compose.containers()
        for p in c.get("Publishers") or []
        if p.get("PublishedPort")
    }

    assert published == {("api_gateway_service", "127.0.0.1", 8080)}


def test_the_demo_runs_through_the_gateway(compose: ComposeProject) -> None:
    output = compose.run("run", "--rm", "demo", step="demo (docker compose run --rm demo)")

    charged = re.search(r"credits charged: (\d+) for (\d+) comparisons", output)
    assert charged is not None, output[-3000:]
    assert int(charged[1]) == int(charged[2]) > 0


def wait_for_progress(journey: demo.Journey, cj: httpx.Client, path: str, done: int) -> Any:
    deadline = time.monotonic() + journey.timeout
    while time.monotonic() < deadline:
        state = demo.expect(cj.get(path), 200, "assessment state")
        if state["progress"]["comparisons_completed"] >= done:
            return state
        time.sleep(0.2)
    raise AssertionError(f"fewer than {done} comparisons within {journey.timeout:.0f} s")


def test_a_worker_restart_mid_assessment_completes_and_charges_each_comparison_once(
    compose: ComposeProject,
) -> None:
    journey = teacher_journey(compose)
    class_id, _roster = demo.create_class(journey)
    batch_id, _names = demo.upload_essays(journey, class_id)
    before = demo.user_balance(demo.credit_balance(journey))
    started_at = time.monotonic()
    with journey.client(demo.CJ) as cj:
        started = demo.start_assessment(journey, cj, batch_id)
        path = f"/v1/assessments/{started['assessment_id']}"
        midway = wait_for_progress(journey, cj, path, done=2)
        compose.run("restart", RESTARTED_WORKER, step=f"restart {RESTARTED_WORKER}")
        final = demo.follow_assessment(journey, cj, path)
    compose.timings["assessment across the restart"] = time.monotonic() - started_at

    progress = final["progress"]
    spent = before - demo.user_balance(demo.credit_balance(journey))
    assert midway["progress"]["comparisons_completed"] < progress["comparisons_planned"]
    assert final["state"] == "completed", final
    assert spent == progress["comparisons_completed"]
    compose.run("up", "-d", "--wait", "--wait-timeout", "120", RESTARTED_WORKER)
    assert compose.container(RESTARTED_WORKER)["Health"] == "healthy"
