"""What the benchmark reads besides wall time: bare extraction, memory, metrics, outcomes."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
from corpus import Essay

from common_core.domain_enums import FileFormat
from services.file_service.domain.documents import process_document
from services.file_service.domain.limits import DocumentLimits

OUTCOME_TOPICS = (
    "huleedu.file.essay.content_provisioned.v1",
    "huleedu.file.essay.validation_failed.v1",
)


def bare_extraction(essays: list[Essay]) -> dict[str, float]:
    """Seconds per format to run the domain function over the corpus in this one process."""
    limits, spent = DocumentLimits(), Counter[str]()
    for essay in essays:
        started = time.perf_counter()
        process_document(essay.data, FileFormat(essay.file_format), limits)
        spent[essay.file_format] += time.perf_counter() - started
    return dict(spent)


def _peak_rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    kilobytes = next(
        int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")
    )
    return kilobytes / 1024


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def peak_memory_mb(api_pid: int, worker_pid: int) -> dict[str, float]:
    """Peak resident memory (VmHWM) of the API, the worker, and its largest pool process."""
    pool = [_peak_rss_mb(child) for child in _descendants(worker_pid)]
    return {
        "api": _peak_rss_mb(api_pid),
        "worker": _peak_rss_mb(worker_pid),
        "pool": max(pool, default=float("nan")),
    }


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its descendants, living or already reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = sum(int(value) for value in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    return own + sum(cpu_seconds(child) for child in _children(pid))


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


async def scrape_extraction_means(url: str) -> dict[str, float]:
    """Mean seconds per document by format, from the worker's own histogram."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(url)).text
    sums, counts = {}, {}
    for line in text.splitlines():
        if line.startswith("file_service_extraction_seconds_sum"):
            sums[_format_label(line)] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("file_service_extraction_seconds_count"):
            counts[_format_label(line)] = float(line.rsplit(" ", 1)[1])
    return {fmt: sums[fmt] / counts[fmt] for fmt in sums if counts.get(fmt)}


def _format_label(line: str) -> str:
    return line.split('file_format="', 1)[1].split('"', 1)[0]


async def outcome_problems(
    connection: asyncpg.Connection, batch_id: str, expected: int
) -> list[str]:
    rows = await connection.fetch(
        "SELECT event_data::text AS data FROM event_outbox WHERE event_type = ANY($1::text[])",
        list(OUTCOME_TOPICS),
    )
    per_file = Counter(
        envelope["data"]["file_upload_id"]
        for envelope in (json.loads(row["data"]) for row in rows)
        if envelope["data"]["batch_id"] == batch_id
    )
    problems = [f"{file_id}: {n} outcome events" for file_id, n in per_file.items() if n != 1]
    if len(per_file) != expected:
        problems.append(f"{len(per_file)} files with an outcome event, {expected} uploaded")
    return problems
