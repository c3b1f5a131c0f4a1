"""Upload and process essays over HTTP on a local stack: throughput, latency, memory, per format.

    ./dev pdm run bench-file [--essays 200] [--per-request 20] [--clients 2]

Starts embedded PostgreSQL, Redis and Kafka (tansu), migrates a fresh database with the service's
Alembic chain, and runs the real service: the HTTP app and the worker, each as its own process,
with their production settings. It uploads a mix of .txt, .docx and .pdf essays (~600 words each)
and measures until every file has its final status and every event is published to Kafka. While
the batch is processing, two probes measure the API under that load: a small upload to another
batch every 0.2 s, and the batch's state (GET) every 0.1 s. The baseline, measured in the same
run, is the bare extraction of the same corpus (the domain function, one process, no HTTP,
database or Kafka). CPU seconds of every process of the stack are counted too: on a shared
machine, wall-clock figures depend on what else runs, the CPU cost per file does not.
Afterwards every file must have exactly one outcome event.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from corpus import Essay, make_corpus
from measures import bare_extraction, outcome_problems, peak_memory_mb, scrape_extraction_means
from stack import Stack, start_stack

from huleedu_service_libs.testing.embedded import EmbeddedKafka, EmbeddedPostgres, EmbeddedRedis
from services.file_service.tests.documents import essay_text, pdf_bytes

TEACHER = {"X-User-ID": "bench-teacher"}
TARGET_ESSAYS_PER_SECOND = 20
TARGET_P99_MS = 200


@dataclass
class Probe:
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms) or [float("nan")]
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _new_batch(client: httpx.AsyncClient, title: str) -> str:
    response = await client.post(
        "/v1/files/batch", json={"title": title, "course_code": "ENG5"}, headers=TEACHER
    )
    response.raise_for_status()
    return str(response.json()["batch_id"])


async def _upload(client: httpx.AsyncClient, batch_id: str, essays: list[Essay]) -> None:
    files = [("files", (essay.name, essay.data)) for essay in essays]
    response = await client.post(f"/v1/files/batch/{batch_id}/files", files=files, headers=TEACHER)
    if response.status_code != 202:
        raise RuntimeError(f"upload refused: {response.status_code} {response.text[:300]}")


async def _upload_all(
    client: httpx.AsyncClient, batch_id: str, essays: list[Essay], per_request: int, clients: int
) -> None:
    chunks = [essays[i : i + per_request] for i in range(0, len(essays), per_request)]
    queue: asyncio.Queue[list[Essay]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)

    async def sender() -> None:
        while not queue.empty():
            await _upload(client, batch_id, queue.get_nowait())

    await asyncio.gather(*(sender() for _ in range(clients)))


async def _probe_uploads(
    client: httpx.AsyncClient, batch_id: str, stop: asyncio.Event, probe: Probe
) -> None:
    """A small upload every 0.05 s (each adds a file the worker must process too)."""
    index = 0
    while not stop.is_set():
        index += 1
        body = f"Probe essay number {index}. " * 20
        started = time.perf_counter()
        response = await client.post(
            f"/v1/files/batch/{batch_id}/files",
            files=[("files", (f"probe-{index}.txt", body.encode()))],
            headers=TEACHER,
        )
        probe.latencies_ms.append((time.perf_counter() - started) * 1000)
        probe.failures += response.status_code != 202
        await asyncio.sleep(0.05)


LARGE_PDF = pdf_bytes(essay_text(20_000, seed=99))  # about 45 pages, built once


async def _upload_large_pdf(client: httpx.AsyncClient, batch_id: str, probe: Probe) -> None:
    """One long PDF while the batch processes: the API counts its pages, the worker extracts it."""
    started = time.perf_counter()
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files",
        files=[("files", ("long-report.pdf", LARGE_PDF))],
        headers=TEACHER,
    )
    probe.latencies_ms.append((time.perf_counter() - started) * 1000)
    probe.failures += response.status_code != 202


async def _probe_reads(
    client: httpx.AsyncClient, batch_id: str, stop: asyncio.Event, probe: Probe
) -> None:
    """The batch's state, as a teacher's page polls it, every 0.1 s."""
    while not stop.is_set():
        started = time.perf_counter()
        response = await client.get(f"/v1/files/batch/{batch_id}", headers=TEACHER)
        probe.latencies_ms.append((time.perf_counter() - started) * 1000)
        probe.failures += response.status_code != 200
        await asyncio.sleep(0.1)


async def _wait_for(
    connection: asyncpg.Connection, sql: str, expected: int, timeout: float = 600
) -> float:
    deadline = time.monotonic() + timeout
    while (await connection.fetchval(sql)) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {timeout} s: {sql}")
        await asyncio.sleep(0.05)
    return time.perf_counter()


FINISHED_SQL = (
    "SELECT count(*) FROM file_uploads f JOIN file_batches b USING (batch_id) "
    "WHERE b.title = 'bench' AND f.status IN ('provisioned', 'validation_failed')"
)
WARM_SQL = "SELECT count(*) FROM file_uploads WHERE status IN ('provisioned', 'validation_failed')"
# Each bench file has two events, both keyed by the batch: its outcome and BatchFileAddedV1.
PUBLISHED_SQL = (
    "SELECT count(*) FROM event_outbox o WHERE o.published_at IS NOT NULL AND o.event_key IN "
    "(SELECT batch_id::text FROM file_batches WHERE title = 'bench')"
)


@dataclass
class Figures:
    upload_s: float
    processed_s: float
    published_s: float
    probe: Probe
    reads: Probe
    problems: list[str]
    cpu_s: dict[str, float] = field(default_factory=dict)
    large_pdf: Probe = field(default_factory=Probe)


async def measure(stack: Stack, essays: list[Essay], per_request: int, clients: int) -> Figures:
    connection = await asyncpg.connect(stack.dsn)
    probe, reads, large, stop = Probe(), Probe(), Probe(), asyncio.Event()
    try:
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=120) as client:
            await _upload(client, await _new_batch(client, "warm-up"), essays[:3])
            await _wait_for(connection, WARM_SQL, 3)
            cpu_before = stack.cpu()
            batch_id, probe_batch = (
                await _new_batch(client, "bench"),
                await _new_batch(client, "probe"),
            )
            large_batch = await _new_batch(client, "large")
            probing = [
                asyncio.create_task(_probe_uploads(client, probe_batch, stop, probe)),
                asyncio.create_task(_probe_reads(client, batch_id, stop, reads)),
                asyncio.create_task(_upload_large_pdf(client, large_batch, large)),
            ]
            started = time.perf_counter()
            await _upload_all(client, batch_id, essays, per_request, clients)
            uploaded = time.perf_counter()
            finished = await _wait_for(connection, FINISHED_SQL, len(essays))
            stop.set()
            await asyncio.gather(*probing)
            published = await _wait_for(connection, PUBLISHED_SQL, 2 * len(essays))
            problems = await outcome_problems(connection, batch_id, len(essays))
    finally:
        await connection.close()
    cpu = {name: spent - cpu_before[name] for name, spent in stack.cpu().items()}
    return Figures(
        uploaded - started,
        finished - started,
        published - started,
        probe,
        reads,
        problems,
        cpu,
        large,
    )


def _count(probe: Probe) -> str:
    return f"{len(probe.latencies_ms)} / {probe.failures}"


def report(
    essays: list[Essay],
    figures: Figures,
    baseline: dict[str, float],
    per_format: dict[str, float],
    memory: dict[str, float],
) -> int:
    count = len(essays)
    rate = count / figures.published_s
    mix = Counter(essay.file_format for essay in essays)
    print(f"\n{count} essays ({dict(mix)}), ~600 words each, {os.cpu_count()} cores")
    rows: list[tuple[str, object]] = [
        ("upload wall time (s)", figures.upload_s),
        ("upload -> every file final (s)", figures.processed_s),
        ("upload -> every event on Kafka (s), end to end", figures.published_s),
        ("essays/s end to end", rate),
        ("baseline: bare extraction in 1 process (essays/s)", count / sum(baseline.values())),
        ("small upload while processing, p50 (ms)", figures.probe.percentile(0.5)),
        ("small upload while processing, p99 (ms)", figures.probe.percentile(0.99)),
        ("small uploads (count / refused)", _count(figures.probe)),
        (
            f"one {len(LARGE_PDF) // 1024} KB PDF upload while processing (ms)",
            figures.large_pdf.percentile(0.5),
        ),
        ("GET batch state while processing, p50 (ms)", figures.reads.percentile(0.5)),
        ("GET batch state while processing, p99 (ms)", figures.reads.percentile(0.99)),
        ("GET batch state (count / failed)", _count(figures.reads)),
        ("peak RSS, API process (MB)", memory["api"]),
        ("peak RSS, worker process (MB)", memory["worker"]),
        ("peak RSS, largest extraction process (MB)", memory["pool"]),
    ]
    print(f"{'measure':<52}{'value':>12}")
    for label, value in rows:
        shown = f"{value:>12.1f}" if isinstance(value, float) else f"{value!s:>12}"
        print(f"{label:<52}{shown}")
    print(f"\n{'format':<8}{'bare extraction ms/essay':>26}{'worker: queue + pool, ms':>26}")
    for fmt in ("txt", "docx", "pdf"):
        bare = baseline.get(fmt, 0.0) * 1000 / max(1, mix[fmt])
        print(f"{fmt:<8}{bare:>26.1f}{per_format.get(fmt, float('nan')) * 1000:>26.1f}")
    total_cpu = sum(figures.cpu_s.values())
    files = count + len(figures.probe.latencies_ms)  # the probe's essays are processed too
    print(f"\n{'CPU seconds during the run':<36}{'total':>8}{'per file (ms)':>16}")
    for name, spent in [*figures.cpu_s.items(), ("all of the stack", total_cpu)]:
        print(f"{name:<36}{spent:>8.1f}{spent * 1000 / files:>16.1f}")
    capacity = (os.cpu_count() or 1) / (total_cpu / files) if total_cpu else float("nan")
    print(
        f"essays/s these cores could sustain at that cost, machine otherwise idle: {capacity:.1f}"
    )
    print(f"\nfiles without exactly one outcome event: {len(figures.problems)}")
    for problem in figures.problems[:10]:
        print("  " + problem)
    met = rate >= TARGET_ESSAYS_PER_SECOND and figures.probe.percentile(0.99) < TARGET_P99_MS
    targets = f">= {TARGET_ESSAYS_PER_SECOND} essays/s, probe p99 < {TARGET_P99_MS} ms"
    print(f"targets ({targets}): {'met' if met else 'NOT met'}")
    return 1 if figures.problems else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--essays", type=int, default=200)
    parser.add_argument("--per-request", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--show-logs", action="store_true", help="print the service logs")
    arguments = parser.parse_args()
    essays = make_corpus(arguments.essays)
    baseline = bare_extraction(essays)
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-bench-file-"))
    postgres, redis, kafka = (
        EmbeddedPostgres(workdir),
        EmbeddedRedis(workdir),
        EmbeddedKafka(workdir),
    )
    stack: Stack | None = None
    try:
        for server in (postgres, redis, kafka):
            server.start()
        stack = start_stack(workdir, postgres, redis, kafka)
        print("load average before: " + " ".join(f"{value:.1f}" for value in os.getloadavg()))
        figures = asyncio.run(measure(stack, essays, arguments.per_request, arguments.clients))
        per_format = asyncio.run(scrape_extraction_means(stack.worker_metrics))
        memory = peak_memory_mb(stack.api.pid, stack.worker.pid)
        print("load average after: " + " ".join(f"{value:.1f}" for value in os.getloadavg()))
        code = report(essays, figures, baseline, per_format, memory)
        if arguments.show_logs:
            _print_logs(workdir)
    except BaseException:
        _print_logs(workdir)
        raise
    finally:
        if stack is not None:
            for process in (stack.api, stack.worker):
                process.terminate()
                process.wait(timeout=30)
        for server in (kafka, redis, postgres):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(code)


def _print_logs(workdir: Path) -> None:
    for log in sorted(workdir.glob("*.log")):
        print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)


if __name__ == "__main__":
    main()
