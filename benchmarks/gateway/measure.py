"""The measurements of bench-gateway: interleaved latency rounds, and throughput blocks with the
CPU each process spent.

Latency: every simulated client holds one keep-alive connection per side (the direct service,
the gateway, and the baseline gateway when one is given) and sends one GET to each in turn, the
order rotating from one turn to the next, so every side sees the same moments of a shared, busy
machine. The client is `KeepAliveClient` (raw asyncio streams, the request bytes written
directly) for every side: its own cost is small and the same in every column, and the timer
excludes building the headers. Each round gives a p50 and a p99 per side; the added latency is
the median over rounds with the lowest and highest round, beside the median of the per-turn
differences.

Throughput: one block per side at the same concurrency, the order rotating every round; CPU
seconds of each process tree are read from /proc around each block, so "gateway CPU per request"
is what the gateway costs whatever the scheduler did meanwhile.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from benchmarks.loadgen import KeepAliveClient, run_clients
from benchmarks.process_cpu import cpu_between, sample

Headers = Callable[[], Mapping[str, str]]


@dataclass
class Side:
    """One way to GET the class. `process`: the tree whose CPU is this side's own (the gateway);
    None for the direct call."""

    label: str
    url: str
    headers: Headers
    process: str | None = None
    rounds: list[list[float]] = field(default_factory=list)
    added: list[float] = field(default_factory=list)  # per turn, minus the direct call's
    rates: list[float] = field(default_factory=list)
    own_cpu_ms: list[float] = field(default_factory=list)
    service_cpu_ms: list[float] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def _timed_get(client: KeepAliveClient, path: str, side: Side) -> float:
    headers = side.headers()
    started = time.perf_counter()
    reply = await client.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    reply.raise_for_status()
    return elapsed


async def latency_round(path: str, sides: list[Side], clients: int, turns: int) -> None:
    """`sides[0]` is the direct call every other side is compared with."""
    times: list[list[float]] = [[] for _ in sides]

    async def turn_by_turn(index: int) -> None:
        async with AsyncExitStack() as stack:
            connections = [
                await stack.enter_async_context(KeepAliveClient(side.url)) for side in sides
            ]
            for number in range(max(1, turns // clients)):
                shift = (number + index) % len(sides)
                order = [*range(shift, len(sides)), *range(shift)]
                taken = {i: await _timed_get(connections[i], path, sides[i]) for i in order}
                for i, elapsed in taken.items():
                    times[i].append(elapsed)
                    sides[i].added.append(elapsed - taken[0])

    await asyncio.gather(*(turn_by_turn(index) for index in range(clients)))
    for side, values in zip(sides, times, strict=True):
        side.rounds.append(values)


async def _block(path: str, side: Side, clients: int, count: int) -> float:
    per_client = max(1, count // clients)

    async def work(client: KeepAliveClient) -> None:
        for _ in range(per_client):
            await _timed_get(client, path, side)

    seconds = await run_clients(side.url, {}, clients, work)
    return per_client * clients / seconds


async def throughput_round(
    path: str, sides: list[Side], pids: Mapping[str, int], clients: int, count: int, shift: int
) -> None:
    requests = max(1, count // clients) * clients
    for side in [*sides[shift:], *sides[:shift]]:
        before = sample(pids)
        side.rates.append(await _block(path, side, clients, count))
        used = cpu_between(before, sample(pids))
        side.service_cpu_ms.append(used["service"] * 1000 / requests)
        side.own_cpu_ms.append(used[side.process] * 1000 / requests if side.process else 0.0)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):+.2f} [{min(values):+.2f}, {max(values):+.2f}]"


def latency_rows(clients: int, sides: list[Side]) -> list[list[str]]:
    direct = sides[0]
    d50 = [percentile(values, 0.5) for values in direct.rounds]
    d99 = [percentile(values, 0.99) for values in direct.rounds]
    rows = [[str(clients), direct.label, f"{statistics.median(d50):.2f}", "", ""]]
    rows[0] += [f"{statistics.median(d99):.2f}", ""]
    for side in sides[1:]:
        s50 = [percentile(values, 0.5) for values in side.rounds]
        s99 = [percentile(values, 0.99) for values in side.rounds]
        rows.append(
            [
                str(clients),
                side.label,
                f"{statistics.median(s50):.2f}",
                spread([s - d for s, d in zip(s50, d50, strict=True)]),
                f"{statistics.median(side.added) * 1000:+.2f}",
                f"{statistics.median(s99):.2f}",
                spread([s - d for s, d in zip(s99, d99, strict=True)]),
            ]
        )
    return rows


def throughput_rows(clients: int, sides: list[Side]) -> list[list[str]]:
    direct_rate = statistics.median(sides[0].rates)
    return [
        [
            str(clients),
            side.label,
            f"{statistics.median(side.rates):.0f}",
            f"{statistics.median(side.rates) / direct_rate:.2f}",
            f"{statistics.median(side.service_cpu_ms):.2f}",
            f"{statistics.median(side.own_cpu_ms):.2f}" if side.process else "",
        ]
        for side in sides
    ]


LATENCY_HEADER = (
    "clients",
    "side",
    "p50 ms",
    "added p50 ms: median [min, max] of rounds",
    "added, median of turns",
    "p99 ms",
    "added p99 ms: median [min, max]",
)
THROUGHPUT_HEADER = (
    "clients",
    "side",
    "req/s",
    "ratio to direct",
    "service CPU ms/req",
    "gateway CPU ms/req",
)


def table(header: tuple[str, ...], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
