"""The platform brought up by Docker Compose once for the module, and always taken down.

Variables (of the shell running pytest): HULEEDU_COMPOSE_OVERRIDE, a compose file merged over
docker-compose.yml (e.g. one that gives the build the host network); HULEEDU_KAFKA_IDEMPOTENCE
(false for brokers without idempotent producers). The project gets its own name and a free
gateway port, so a platform already running on this machine is left alone.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from scripts.platform_services import REPO_ROOT
from tests.compose_up.compose_project import ComposeProject, engine_problem

# The simulated judge waits this long per comparison, so a worker restart lands mid-assessment.
JUDGE_DELAY_SECONDS = "1.0"
UP_TIMEOUT_SECONDS = 900


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def compose_files() -> list[Path]:
    files = [REPO_ROOT / "docker-compose.yml"]
    override = os.environ.get("HULEEDU_COMPOSE_OVERRIDE")
    if override:
        files.append(Path(override))
    return files


@pytest.fixture(scope="module")
def compose(request: pytest.FixtureRequest) -> Iterator[ComposeProject]:
    problem = engine_problem()
    if problem is not None:
        pytest.fail(f"the compose journey needs a Docker engine with Compose v2: {problem}")
    project = ComposeProject(
        name=f"huleedu-test-{uuid4().hex[:8]}",
        files=compose_files(),
        variables={
            "HULEEDU_GATEWAY_PORT": str(free_port()),
            "HULEEDU_SIMULATED_JUDGE_DELAY_SECONDS": JUDGE_DELAY_SECONDS,
            "HULEEDU_KAFKA_IDEMPOTENCE": os.environ.get("HULEEDU_KAFKA_IDEMPOTENCE", "true"),
        },
    )
    failed_before = request.session.testsfailed
    try:
        project.run("build", step="build (the platform image, once)", timeout=UP_TIMEOUT_SECONDS)
        project.run(
            "up",
            "-d",
            "--wait",
            "--wait-timeout",
            str(UP_TIMEOUT_SECONDS),
            step="up --wait (every container healthy)",
            timeout=UP_TIMEOUT_SECONDS + 60,
        )
    except BaseException:
        take_down(request, project, failed=True)
        raise
    yield project
    take_down(request, project, failed=request.session.testsfailed > failed_before)


def take_down(request: pytest.FixtureRequest, project: ComposeProject, failed: bool) -> None:
    if failed:
        report(request, project)
    started = time.monotonic()
    project.run("down", "-v", "--remove-orphans", timeout=300)
    project.timings["down -v"] = time.monotonic() - started
    write(request, timings_table(project.timings))


def report(request: pytest.FixtureRequest, project: ComposeProject) -> None:
    """On a failure (including one in `up`): every container's state and the logs."""
    log_file = REPO_ROOT / ".stack" / f"{project.name}.log"
    log_file.parent.mkdir(exist_ok=True)
    log_file.write_text(project.logs())
    write(request, project.run("ps", "-a", timeout=60))
    write(request, f"container logs of {project.name}: {log_file} (last lines below)")
    write(request, "\n".join(log_file.read_text().splitlines()[-150:]))


def timings_table(timings: dict[str, float]) -> str:
    rows = [f"  {step:<44} {seconds:7.1f} s" for step, seconds in timings.items()]
    return "\n".join(["compose journey timings:", *rows])


_REPORT = pytest.StashKey[list[str]]()


def write(request: pytest.FixtureRequest, text: str) -> None:
    """Kept for the terminal summary: fixture output is captured, and shown only on failure."""
    request.config.stash.setdefault(_REPORT, []).append(text)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    for text in config.stash.get(_REPORT, []):
        terminalreporter.write_line("")
        for line in text.splitlines():
            terminalreporter.write_line(line)
