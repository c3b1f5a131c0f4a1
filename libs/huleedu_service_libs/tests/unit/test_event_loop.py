"""Long-lived service processes run on uvloop where it is installed."""

from __future__ import annotations

import asyncio

import uvloop

from huleedu_service_libs.event_loop import run_service


async def _loop_type_and(value: int) -> tuple[type[asyncio.AbstractEventLoop], int]:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()), value


def test_a_service_coroutine_runs_on_uvloop_and_returns_its_result() -> None:
    loop_type, value = run_service(_loop_type_and(7))
    assert issubclass(loop_type, uvloop.Loop)
    assert value == 7
