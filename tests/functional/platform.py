"""A private platform for the journey tests: the local stack, in-process, on free ports."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from huleedu_service_libs.testing.embedded import EmbeddedKafka
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.processes import free_port
from scripts.platform_services import SERVICES, SERVICES_BY_NAME
from scripts.stack_runner.children import Console
from scripts.stack_runner.runner import Stack, StackOptions
from scripts.stack_runner.services import NEEDED_TO_RUN


def needs(*names: str, worker: bool = True) -> pytest.MarkDecorator:
    """Marks a journey as an expected failure, not run, while a service it needs is not built;
    the reason names the missing files, so the gap shows in every run until it closes."""
    wanted = [*NEEDED_TO_RUN, *(["worker_main.py"] if worker else [])]
    gaps = [
        f"{name} (no {', '.join(parts)})"
        for name in names
        if (parts := [p for p in SERVICES_BY_NAME[name].missing_parts() if p in wanted])
    ]
    return pytest.mark.xfail(bool(gaps), reason="not built yet: " + "; ".join(gaps), run=False)


@dataclass
class Platform:
    stack: Stack
    data_dir: Path

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.stack.options.ports[service]}"

    @property
    def kafka_bootstrap(self) -> str:
        assert self.stack.endpoints is not None
        return self.stack.endpoints.kafka_bootstrap

    async def kill_and_restart(self, label: str) -> None:
        """SIGKILL a service process (no shutdown code runs) and start it again."""
        child = self.stack.child(label)
        assert child.process is not None
        os.killpg(child.process.pid, signal.SIGKILL)
        await child.wait()
        await child.start()

    async def stop_service_process(self, label: str) -> None:
        await self.stack.child(label).stop()

    async def start_service_process(self, label: str) -> None:
        await self.stack.child(label).start()

    @contextlib.contextmanager
    def kafka_frozen(self) -> Iterator[None]:
        """The broker stops answering (SIGSTOP) and resumes with its in-memory data intact."""
        [kafka] = [s for s in self.stack.infrastructure.started if isinstance(s, EmbeddedKafka)]
        os.kill(kafka.server.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(kafka.server.pid, signal.SIGCONT)

    async def events(self, topic: str, correlation_id: UUID, count: int) -> list[dict[str, Any]]:
        """Envelopes on `topic` carrying this correlation id (waits for `count` of them)."""
        records = await KafkaTopics(self.kafka_bootstrap).read(topic, 10_000, timeout=20.0)
        envelopes = [json.loads(record.value) for record in records if record.value]
        mine = [e for e in envelopes if e.get("correlation_id") == str(correlation_id)]
        assert len(mine) >= count, f"{len(mine)} of {count} events on {topic}"
        return mine


async def start_platform() -> Platform:
    # Outside pytest's temporary root, which other pytest runs reset to 0700 (PostgreSQL runs
    # unprivileged when we are root); the prefix lets CI's survivor check see leftovers.
    data_dir = Path(tempfile.mkdtemp(prefix="huleedu-test-platform-"))
    options = StackOptions(
        data_dir=data_dir,
        ports={spec.name: free_port() for spec in SERVICES},
        isolate_ports=True,
        start_timeout=240.0,
    )
    stack = Stack(options, Console(colour=False))
    try:
        await stack.start()
    except BaseException:
        await stop_platform(Platform(stack, data_dir))
        raise
    return Platform(stack, data_dir)


async def stop_platform(platform: Platform) -> None:
    try:
        await platform.stack.stop()
    finally:
        shutil.rmtree(platform.data_dir, ignore_errors=True)


def client(platform: Platform, service: str, user: str, correlation: UUID) -> httpx.AsyncClient:
    headers = {"X-User-ID": user, "X-Correlation-ID": str(correlation)}
    return httpx.AsyncClient(base_url=platform.url(service), headers=headers, timeout=30.0)


def multipart(paths: Sequence[Path]) -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (path.name, path.read_bytes())) for path in paths]
