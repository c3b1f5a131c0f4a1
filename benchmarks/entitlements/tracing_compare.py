"""`bench-entitlements --tracing-compare`: charges through two copies of the service, one with
tracing off and one with it on at the default sampling (every trace: ASGI, SQLAlchemy and Redis
spans, exported by a BatchSpanProcessor over OTLP/HTTP to a local sink, tracing_sink.py).
Both run at once on the same database and Redis; rounds alternate off/on, so each sees the
machine in the same state, and the idle one costs nothing but memory."""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from benchmarks.tracing_sink import Comparison, OtlpSink, print_comparison

Scenario = Callable[..., Awaitable[object]]


@dataclass(frozen=True)
class Copy:
    url: str
    pid: int


def tracing_environment(sink: OtlpSink, ratio: float | None) -> dict[str, str]:
    """None: the settings' default ratio."""
    environment = {
        "ENTITLEMENTS_SERVICE_TRACING_ENABLED": "true",
        "ENTITLEMENTS_SERVICE_TRACING_OTLP_ENDPOINT": sink.url,
    }
    if ratio is not None:
        environment["ENTITLEMENTS_SERVICE_TRACING_SAMPLE_RATIO"] = str(ratio)
    return environment


async def compare(
    scenario: Scenario,
    copies: dict[str, Copy],
    users: list[str],
    clients: int,
    requests: int,
    runs: int,
) -> Comparison:
    """Median charges/s of `runs` alternating rounds on the "off" and "on" copies."""
    rates: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(runs):
        for name, copy in copies.items():
            outcome = await scenario(
                copy.url, name, users, clients, requests, {"service": copy.pid}
            )
            rates[name].append(outcome.throughput)  # type: ignore[attr-defined]
    label = f"charges, {len(users)} accounts, {clients} clients"
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    return Comparison(label, "charges/s", off, on)


def print_charge_comparison(rows: list[Comparison], sink: OtlpSink, runs: int) -> None:
    print_comparison(
        rows,
        f"(median of {runs} alternating rounds; the traced copy sent {sink.exports} OTLP export"
        f" requests, {sink.bytes_received / 1e6:.1f} MB, to the local sink)",
    )
