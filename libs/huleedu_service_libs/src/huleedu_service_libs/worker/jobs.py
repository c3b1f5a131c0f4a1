"""A job is one long-running loop of a worker process: how to run it and how to ask it to stop."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol


class Loop(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> object: ...


@dataclass(frozen=True)
class Job:
    """`stop` asks `run` to finish what it holds and return; it may be sync or async."""

    name: str
    run: Callable[[], Coroutine[Any, Any, None]]
    stop: Callable[[], object]

    async def request_stop(self) -> None:
        outcome = self.stop()
        if inspect.isawaitable(outcome):
            await outcome


def job_of(name: str, loop: Loop) -> Job:
    """The job of an object with `run()` and `stop()` (consumer, relay, monitor, sweeper)."""
    return Job(name, loop.run, loop.stop)
