"""Running the worker for tests: in-process (run_worker) or as a real child process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from prometheus_client import CollectorRegistry

from common_core.events.registry import topics_consumed_by, topics_produced_by
from common_core.service_names import ServiceName
from huleedu_service_libs.di import new_registry
from huleedu_service_libs.testing.processes import free_port
from services.file_service.config import Settings
from services.file_service.worker_main import run_worker

REPO_ROOT = Path(__file__).parents[4]


async def ensure_topics(bootstrap: str) -> None:
    """The service's topics, as the platform's topic set-up creates them."""
    topics = [*topics_produced_by(ServiceName.FILE), *topics_consumed_by(ServiceName.FILE)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for topic in topics:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_worker(
    settings: Settings, registry: CollectorRegistry | None = None
) -> AsyncIterator[CollectorRegistry]:
    registry = registry or new_registry()
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop, registry))
    try:
        yield registry
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


def worker_environment(settings: Settings, **overrides: Any) -> dict[str, str]:
    # Unset settings (None) stay unset: "None" is no value a setting reads.
    values = {k: v for k, v in json.loads(settings.model_dump_json()).items() if v is not None}
    values["INTERNAL_API_KEY"] = settings.INTERNAL_API_KEY.get_secret_value()
    values["ADMIN_API_KEY"] = settings.ADMIN_API_KEY.get_secret_value()
    values |= {"WORKER_METRICS_PORT": free_port(), **overrides}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FILE_SERVICE_")}
    environment |= {f"FILE_SERVICE_{key}": str(value) for key, value in values.items()}
    return environment | {"PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}


@contextlib.contextmanager
def worker_process(environment: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.file_service.worker_main"],
            cwd=REPO_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
