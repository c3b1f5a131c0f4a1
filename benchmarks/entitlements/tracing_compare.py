"""`bench-entitlements --tracing-compare`: charges through two copies of the service, one with
tracing off and one with it on at production's default sampling (PRODUCTION_TRACE_SAMPLE_RATIO)
or --tracing-ratio (the recorded requests: ASGI and Redis spans, exported by a
BatchSpanProcessor over OTLP/HTTP to a local sink, tracing_sink.py).
Both run at once on the same database and Redis; rounds alternate off/on, off first in even
rounds and on first in odd ones, so each sees the machine in the same state, and the idle one
costs nothing but memory."""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.tracing_sink import Comparison, OtlpSink, print_comparison
from huleedu_service_libs.config import PRODUCTION_TRACE_SAMPLE_RATIO

Scenario = Callable[..., Awaitable[object]]


@dataclass(frozen=True)
class Copy:
    url: str
    pid: int


def tracing_environment(sink: OtlpSink, ratio: float | None) -> dict[str, str]:
    """None: production's default ratio (the benchmark's service runs in development)."""
    return {
        "ENTITLEMENTS_SERVICE_TRACING_ENABLED": "true",
        "ENTITLEMENTS_SERVICE_TRACING_OTLP_ENDPOINT": sink.url,
        "ENTITLEMENTS_SERVICE_TRACING_SAMPLE_RATIO": str(
            PRODUCTION_TRACE_SAMPLE_RATIO if ratio is None else ratio
        ),
    }


async def compare(
    scenario: Scenario,
    copies: dict[str, Copy],
    users: list[str],
    clients: int,
    requests: int,
    runs: int,
) -> Comparison:
    """Median charges/s of `runs` alternating rounds on the "off" and "on" copies; each round's
    charges/s and service CPU per charge are printed as they come (the spread)."""
    rates: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    for round_ in range(runs):
        for name, copy in _in_turn(copies, round_):
            outcome: Any = await scenario(
                copy.url, name, users, clients, requests, {"service": copy.pid}
            )
            rates[name].append(outcome.throughput)
            cpu[name].append(outcome.cpu_ms("service"))
    label = f"charges, {len(users)} accounts, {clients} clients"
    for name in rates:
        rounds = " ".join(
            f"{r:.0f}/s {c:.2f}ms" for r, c in zip(rates[name], cpu[name], strict=True)
        )
        print(f"  {label}, tracing {name}: {rounds} (service CPU per charge)")
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    return Comparison(label, "charges/s", off, on)


def _in_turn(copies: dict[str, Copy], round_: int) -> list[tuple[str, Copy]]:
    """Off first in even rounds, on first in odd ones: whichever runs second sees what the
    first left behind (autovacuum of its writes, a warmer cache)."""
    order = list(copies.items())
    return order if round_ % 2 == 0 else order[::-1]


def print_charge_comparison(
    rows: list[Comparison], sink: OtlpSink, runs: int, ratio: float | None
) -> None:
    shown = PRODUCTION_TRACE_SAMPLE_RATIO if ratio is None else ratio
    print_comparison(
        rows,
        f"(sample ratio {shown}; median of {runs} alternating rounds; the traced copy sent"
        f" {sink.exports} OTLP export requests, {sink.bytes_received / 1e6:.1f} MB, to the"
        " local sink)",
    )
