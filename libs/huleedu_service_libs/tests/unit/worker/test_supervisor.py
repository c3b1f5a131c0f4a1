"""The supervisor: a job that ends unasked ends the process; a stop drains every job."""

from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client import Counter

from huleedu_service_libs.di import new_registry
from huleedu_service_libs.worker import Job, ProbeServer, WorkerLoopEndedError, supervise


class Loop:
    """Runs until stopped, finishing the item in hand; `fail_after` makes it crash."""

    def __init__(self, fail_after: float | None = None, returns: bool = False) -> None:
        self.fail_after = fail_after
        self.returns = returns
        self.stopping = asyncio.Event()
        self.finished_in_hand = False

    async def run(self) -> None:
        if self.fail_after is not None:
            await asyncio.sleep(self.fail_after)
            if self.returns:
                return
            raise ConnectionError("the broker went away")
        await self.stopping.wait()
        await asyncio.sleep(0.01)  # the message in hand
        self.finished_in_hand = True

    def stop(self) -> None:
        self.stopping.set()


def _job(name: str, loop: Loop) -> Job:
    return Job(name, loop.run, loop.stop)


async def test_a_crashing_job_stops_the_others_and_raises() -> None:
    healthy, crashing = Loop(), Loop(fail_after=0.01)
    with pytest.raises(WorkerLoopEndedError, match="consumer") as raised:
        await supervise([_job("relay", healthy), _job("consumer", crashing)], asyncio.Event())
    assert isinstance(raised.value.__cause__, ConnectionError)
    assert healthy.finished_in_hand


async def test_a_job_that_returns_unasked_also_ends_the_process() -> None:
    with pytest.raises(WorkerLoopEndedError, match="monitor"):
        await supervise([_job("monitor", Loop(fail_after=0.01, returns=True))], asyncio.Event())


async def test_stop_drains_every_job_and_returns() -> None:
    loops = [Loop(), Loop()]
    stop = asyncio.Event()
    running = asyncio.create_task(
        supervise([_job(f"job{n}", loop) for n, loop in enumerate(loops)], stop)
    )
    await asyncio.sleep(0.01)
    stop.set()
    await running
    assert all(loop.finished_in_hand for loop in loops)


async def test_a_job_that_ignores_stop_is_cancelled_after_the_drain_time() -> None:
    async def stubborn() -> None:
        await asyncio.sleep(3600)

    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(
        supervise([Job("stubborn", stubborn, lambda: None)], stop, drain_seconds=0.05), 5
    )


async def _get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_the_probe_serves_metrics_and_liveness_until_a_job_ends() -> None:
    registry = new_registry()
    Counter("kit_test_events", "events", registry=registry).inc(3)
    probe = ProbeServer("kit_test", registry)
    await probe.start("127.0.0.1", 0)
    crashing = Loop(fail_after=0.3)
    try:
        running = asyncio.create_task(
            supervise([_job("consumer", crashing)], asyncio.Event(), probe=probe)
        )
        await asyncio.sleep(0.05)
        status, body = await _get(probe.port, "/healthz")
        assert (status, json.loads(body)["jobs"]) == (200, {"consumer": "running"})
        status, metrics = await _get(probe.port, "/metrics")
        assert status == 200
        assert b"kit_test_events_total 3.0" in metrics
        assert b"process_cpu_seconds_total" in metrics
        assert b"python_gc_objects_collected_total" in metrics
        with pytest.raises(WorkerLoopEndedError):
            await running
        status, body = await _get(probe.port, "/healthz")
        assert (status, json.loads(body)["status"]) == (503, "down")
        assert (await _get(probe.port, "/nope"))[0] == 404
    finally:
        await probe.close()


async def test_a_job_that_returns_because_the_stop_was_set_is_not_a_failure() -> None:
    stop = asyncio.Event()

    async def until_stopped() -> None:
        # Polls on purpose: it must see the stop in the same loop turn as the supervisor does.
        while not stop.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0)

    asyncio.get_running_loop().call_later(0.01, stop.set)
    for _ in range(20):
        await supervise([Job("consumer", until_stopped, stop.set)], stop)
        stop.clear()
        asyncio.get_running_loop().call_later(0.01, stop.set)
