"""`bench-outbox --tracing-compare`: the write path with tracing off and on, side by side.

A write is what a request does: a business row and its outbox row in one transaction. Off: the
engine as `build_engine` makes it with TRACING_ENABLED false (no instrumentation, no span).
On, at the production default sampling (PRODUCTION_TRACE_SAMPLE_RATIO) or --tracing-ratio: the
engine carries the SQLAlchemy instrumentation, and each transaction is a request as
`SampledRequests` sees one without a caller: chosen by the ratio, it runs inside a SERVER span
and the writer stores its traceparent; otherwise it runs under an unsampled context. A
BatchSpanProcessor exports over OTLP/HTTP to a local sink (protobuf encoding and a POST per
batch, in this process). Rounds alternate off/on (off first in even rounds, on first in odd
ones) so both see the machine in the same state;
each on-round ends with a flush of the exporter inside its timing, so export work is counted.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import INVALID_SPAN_CONTEXT, SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from benchmarks.tracing_sink import Comparison, otlp_sink, print_comparison
from huleedu_service_libs.config import PRODUCTION_TRACE_SAMPLE_RATIO
from huleedu_service_libs.observability import setup_tracing, shutdown_tracing
from huleedu_service_libs.observability.instrumentation import trace_engine
from huleedu_service_libs.observability.sampling import records, unsampled
from huleedu_service_libs.outbox import OutboxManager

Write = Callable[[int], Awaitable[None]]
Transaction = Callable[[AsyncSession, OutboxManager, int], Awaitable[object]]
IN_FLIGHT = 8


DEFAULT_RATIO = PRODUCTION_TRACE_SAMPLE_RATIO


@dataclass
class SinkTracing:
    TRACING_OTLP_ENDPOINT: str | None
    TRACING_SAMPLE_RATIO: float = DEFAULT_RATIO
    TRACING_ENABLED: bool = True


def _writer(engine: AsyncEngine, transaction: Transaction) -> Write:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    manager = OutboxManager(None)

    async def write(n: int) -> None:
        async with sessions() as session, session.begin():
            await transaction(session, manager, n)

    return write


def _in_span(write: Write, provider: TracerProvider, ratio: float) -> Write:
    tracer = provider.get_tracer("bench")

    async def traced(n: int) -> None:
        if not records(INVALID_SPAN_CONTEXT, ratio):
            with unsampled(INVALID_SPAN_CONTEXT):
                await write(n)
            return
        with tracer.start_as_current_span("POST /v1/orders", kind=SpanKind.SERVER):
            await write(n)

    return traced


async def _rate(write: Write, count: int, flush: Callable[[], object] | None = None) -> float:
    """Transactions per second, IN_FLIGHT at a time."""
    numbers = iter(range(count))
    started = time.perf_counter()

    async def lane() -> None:
        for n in numbers:
            await write(n)

    await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))
    if flush is not None:
        await asyncio.to_thread(flush)
    return count / (time.perf_counter() - started)


async def compare_writes(
    plain: AsyncEngine,
    traced: AsyncEngine,
    transaction: Transaction,
    count: int,
    runs: int,
    ratio: float = DEFAULT_RATIO,
) -> tuple[float, float, int]:
    """Median transactions/s off (`plain`) and on (`traced`, instrumented here), and how many
    export requests the sink received."""
    with otlp_sink() as sink:
        provider = setup_tracing("bench_service", SinkTracing(sink.url, ratio))
        assert provider is not None
        trace_engine(traced, provider)
        off_write = _writer(plain, transaction)
        on_write = _in_span(_writer(traced, transaction), provider, ratio)
        await _rate(off_write, count // 4)  # warm-up, both
        await _rate(on_write, count // 4, provider.force_flush)
        off: list[float] = []
        on: list[float] = []
        for round_ in range(runs):
            # Off first in even rounds, on first in odd ones: the second sees what the first
            # left behind (autovacuum of its rows, a warmer cache).
            for side in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                if side == "off":
                    off.append(await _rate(off_write, count))
                else:
                    on.append(await _rate(on_write, count, provider.force_flush))
        shutdown_tracing()
        return statistics.median(off), statistics.median(on), sink.exports


def print_write_comparison(
    results: dict[str, tuple[float, float, int]], count: int, runs: int, ratio: float
) -> None:
    rows = [
        Comparison(f"outbox write ({server})", "transactions/s", off, on)
        for server, (off, on, _) in results.items()
    ]
    exports = ", ".join(f"{server}: {n}" for server, (_, _, n) in results.items())
    print_comparison(
        rows,
        f"(sample ratio {ratio}; median of {runs} alternating rounds of {count} transactions,"
        f" {IN_FLIGHT} in flight;"
        f" on = SQLAlchemy spans + a request span + traceparent stored for the sampled share,"
        f" exported over OTLP/HTTP"
        f" to a local sink: {exports} export requests)",
    )
