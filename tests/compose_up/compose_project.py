"""One Docker Compose project of the platform, driven through the `docker compose` CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.platform_services import REPO_ROOT


class NoEngine(RuntimeError):
    """No Docker engine with the Compose v2 plugin answers on this machine."""


def engine_problem() -> str | None:
    """Why no engine with Compose v2 can be used here, or None when one answers."""
    if shutil.which("docker") is None:
        return "the `docker` CLI is not installed"
    for argv in (
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        ["docker", "compose", "version"],
    ):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        except subprocess.TimeoutExpired:
            return f"`{' '.join(argv)}` did not answer within 30 s"
        if done.returncode != 0:
            return f"`{' '.join(argv)}` failed: {(done.stderr or done.stdout).strip()[:300]}"
    return None


@dataclass
class ComposeProject:
    name: str
    files: list[Path]
    variables: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    def argv(self, *arguments: str) -> list[str]:
        flags = [part for path in self.files for part in ("-f", str(path))]
        return ["docker", "compose", "-p", self.name, *flags, *arguments]

    def run(self, *arguments: str, timeout: float = 900, step: str | None = None) -> str:
        """Runs `docker compose ARGUMENTS`; the output, or AssertionError with it."""
        started = time.monotonic()
        environment = os.environ | {"DOCKER_BUILDKIT": "0"} | self.variables
        done = subprocess.run(
            self.argv(*arguments),
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if step is not None:
            self.timings[step] = time.monotonic() - started
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"docker compose {' '.join(arguments)}: {output[-4000:]}"
        return output

    def containers(self) -> list[dict[str, Any]]:
        """`ps -a`: every container of the project, one-shot jobs included."""
        raw = self.run("ps", "-a", "--format", "json").strip()
        if raw.startswith("["):
            return list(json.loads(raw))
        return [json.loads(line) for line in raw.splitlines() if line.strip()]

    def container(self, service: str) -> dict[str, Any]:
        found = [c for c in self.containers() if c["Service"] == service]
        assert len(found) == 1, f"{service}: {len(found)} containers"
        return found[0]

    def logs(self) -> str:
        try:
            return self.run("logs", "--no-color", "--timestamps", timeout=120)
        except (AssertionError, subprocess.TimeoutExpired) as error:
            return f"(no logs: {error})"
