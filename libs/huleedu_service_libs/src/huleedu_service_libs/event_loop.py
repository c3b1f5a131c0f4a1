"""Running a service's long-lived process (worker, relay) on the uvloop event loop.

The HTTP processes already run on uvloop through Uvicorn. A worker or relay spends much of its
CPU in the loop itself (callbacks, socket reads and writes for PostgreSQL, Kafka and Redis),
which uvloop does in C; the stock loop is the fallback where uvloop is not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # Windows, or a slim install
        return None
    return uvloop.new_event_loop


def run_service(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on uvloop when it is installed."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(main)
