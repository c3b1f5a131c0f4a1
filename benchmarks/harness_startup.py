"""Start-up cost of the test harness's embedded servers (median of several cold starts).

./dev pdm run bench-harness [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from huleedu_service_libs.testing.embedded import EmbeddedKafka, EmbeddedPostgres, EmbeddedRedis

Server = EmbeddedPostgres | EmbeddedRedis | EmbeddedKafka


def _cold_start_seconds(make: Callable[[Path], Server]) -> float:
    workdir = Path(tempfile.mkdtemp(prefix="huleedu-bench-"))
    try:
        started = time.perf_counter()
        server = make(workdir)
        server.start()
        elapsed = time.perf_counter() - started
        server.stop()
        return elapsed
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    servers: dict[str, Callable[[Path], Server]] = {
        "PostgreSQL (initdb + start)": EmbeddedPostgres,
        "Redis": EmbeddedRedis,
        "Kafka (tansu)": EmbeddedKafka,
    }
    print(f"{'server':<30}{'median s':>10}{'min s':>10}{'max s':>10}   ({runs} cold starts each)")
    for name, make in servers.items():
        samples = [_cold_start_seconds(make) for _ in range(runs)]
        median, fastest, slowest = statistics.median(samples), min(samples), max(samples)
        print(f"{name:<30}{median:>10.3f}{fastest:>10.3f}{slowest:>10.3f}")


if __name__ == "__main__":
    main()
