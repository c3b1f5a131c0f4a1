"""CJ accuracy, reliability and fitting speed with the simulated judge and known true abilities.

./dev pdm run bench-cj [--seeds 20] [--sizes 30 50 100] [--skip-fit]
./dev pdm run bench-cj --stack --skip-accuracy --skip-fit   (against `pdm run stack`)
./dev pdm run bench-cj --misfit --seeds 100   (misfit detection, benchmarks/cj/misfit.py)

For each batch size, seed and design (coverage-only vs adaptive pairing) one simulated assessment
runs to 20 comparisons per essay and is read at 5, 10, 15 and 20. True abilities ~ N(0, 1.7^2).
"""

from __future__ import annotations

import os

# One BLAS thread: on a shared 2-core machine multithreaded BLAS oversubscribes the CPU and turns a
# 0.3 s fit into 10 s. The service fits in one thread too.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cohorts import CONDITIONS, DESIGNS, Condition  # noqa: E402
from honesty import STOP_CONDITION, cohort_table, grading_table  # noqa: E402
from misfit import misfit_table  # noqa: E402
from simulation import Scenario, Snapshot, at_budget, rho_curve, run_scenario  # noqa: E402
from stack_run import run_on_stack  # noqa: E402

from services.cj_assessment_service.domain.bradley_terry import (  # noqa: E402
    ComparisonData,
    fit_bradley_terry,
)

BUDGETS = (5, 10, 15, 20)
GRID = np.arange(2.0, 20.01, 0.25)


def _mean(values: list[float]) -> float:
    return float(np.mean(values))


def accuracy_table(sizes: list[int], seeds: int) -> None:
    print(
        "\nAccuracy and reliability (means over seeds; cover = 95% intervals containing the truth)"
    )
    header = f"{'n':>4} {'per essay':>9} {'design':>9} {'comparisons':>11} {'rho':>6} {'cover':>6}"
    print(header + f" {'SSR':>6} {'actual':>6} {'SSR-act':>7}")
    for n in sizes:
        runs = {
            adaptive: [run_scenario(Scenario(n, seed, adaptive)) for seed in range(seeds)]
            for adaptive in (False, True)
        }
        for budget in BUDGETS:
            for adaptive, label in ((False, "coverage"), (True, "adaptive")):
                _budget_row(n, budget, label, [at_budget(r, budget, n) for r in runs[adaptive]])
        _efficiency_row(n, runs)


def _budget_row(n: int, budget: int, label: str, shots: list[Snapshot]) -> None:
    ssr, actual = _mean([s.ssr for s in shots]), _mean([s.actual_reliability for s in shots])
    print(
        f"{n:>4} {budget:>9} {label:>9} {_mean([s.comparisons for s in shots]):>11.1f}"
        f" {_mean([s.rho for s in shots]):>6.3f} {_mean([s.covered for s in shots]):>6.3f}"
        f" {ssr:>6.3f} {actual:>6.3f} {ssr - actual:>+7.3f}"
    )


def _efficiency_row(n: int, runs: dict[bool, list[list[Snapshot]]]) -> None:
    coverage_rho = _mean([at_budget(r, 20, n).rho for r in runs[False]])
    adaptive_curve = np.nanmean([rho_curve(r, GRID) for r in runs[True]], axis=0)
    reached = GRID[adaptive_curve >= coverage_rho]
    if reached.size == 0:
        print(f"     n={n}: adaptive never reached coverage-only's rho at 20 ({coverage_rho:.3f})")
        return
    first = float(reached[0])
    shots = [min(r, key=lambda s: abs(s.per_essay - first)) for r in runs[True]]
    gap = _mean([s.ssr - s.actual_reliability for s in shots])
    print(
        f"     n={n}: adaptive reaches coverage-only's rho at 20 ({coverage_rho:.3f})"
        f" at {first:.2f} comparisons per essay = {first / 20:.0%} of the comparisons;"
        f" SSR - actual there {gap:+.3f}"
    )


def position_bias_row(seeds: int) -> None:
    shots = [
        at_budget(run_scenario(Scenario(50, seed, True, judge_position_bias=0.4)), 10, 50)
        for seed in range(seeds)
    ]
    biases = [s.position_bias for s in shots if s.position_bias is not None]
    print(
        f"\nPosition bias 0.40 logits, n=50, 10 per essay, adaptive: estimated"
        f" {_mean(biases):.3f} (sd {float(np.std(biases)):.3f},"
        f" {len(biases)}/{seeds} fits estimated it),"
        f" rho {_mean([s.rho for s in shots]):.3f}, cover {_mean([s.covered for s in shots]):.3f}"
    )


def fitting_speed(runs: int) -> None:
    rng = np.random.default_rng(7)
    n, m = 1000, 20000
    truth = rng.normal(0.0, 1.7, n)
    first = rng.integers(0, n, m)
    second = (first + rng.integers(1, n, m)) % n
    won = rng.random(m) < 1.0 / (1.0 + np.exp(-(truth[first] - truth[second])))
    data = ComparisonData(n, first, second, won)
    wall, cpu = _timed(lambda: fit_bradley_terry(data), runs)
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(f"\nFitting {n} essays x {m} comparisons (median of {runs}; BLAS threads {threads})")
    print(
        f"  this service (scores, full covariance, SEs, bias): {wall:.3f} s wall, {cpu:.3f} s CPU"
    )
    try:
        import choix
    except ImportError:
        print("  choix not installed: no baseline")
        return
    pairs = [
        (int(a), int(b)) if w else (int(b), int(a))
        for a, b, w in zip(first, second, won, strict=True)
    ]
    wall, cpu = _timed(lambda: choix.ilsr_pairwise(n, pairs, alpha=1 / 8), 1)
    print(
        f"  choix.ilsr_pairwise, same data (scores only), 1 run: {wall:.3f} s wall, {cpu:.3f} s CPU"
    )


def _timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def stack_row(args: argparse.Namespace) -> None:
    print(f"\nA {args.stack_essays}-essay assessment on the running stack ({args.stack_file})")
    for run in range(args.stack_runs):
        figures = run_on_stack(args.stack_file, args.stack_essays, args.admin_key, timeout=120)
        print(f"  run {run + 1}: " + ", ".join(f"{k}={_shown(v)}" for k, v in figures.items()))


def _shown(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _conditions(wanted: list[str] | None) -> list[Condition]:
    every = [*CONDITIONS, STOP_CONDITION]
    return [c for c in every if wanted is None or any(w in c.label for w in wanted)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 50, 100])
    parser.add_argument("--fit-runs", type=int, default=5)
    parser.add_argument("--skip-fit", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--stack", action="store_true", help="also time an assessment on a stack")
    parser.add_argument("--stack-file", type=Path, default=Path(".stack/stack.json"))
    parser.add_argument("--stack-essays", type=int, default=30)
    parser.add_argument("--stack-runs", type=int, default=3)
    parser.add_argument("--admin-key", default="change-me")
    parser.add_argument("--misfit", action="store_true", help="only the misfit detection table")
    parser.add_argument("--cohorts", action="store_true", help="only the cohort honesty table")
    parser.add_argument("--grading", action="store_true", help="only the grade calibration table")
    parser.add_argument("--jobs", type=int, default=1, help="processes for --cohorts, --grading")
    parser.add_argument(
        "--conditions", nargs="+", help="--cohorts: only conditions whose label has one of these"
    )
    parser.add_argument("--designs", nargs="+", choices=DESIGNS, default=list(DESIGNS))
    args = parser.parse_args()
    started = time.perf_counter()
    if args.cohorts or args.grading:
        if args.cohorts:
            cohort_table(args.seeds, args.jobs, _conditions(args.conditions), args.designs)
        if args.grading:
            grading_table(args.seeds, args.jobs)
        print(f"\n(total {time.perf_counter() - started:.0f} s)")
        return
    if args.misfit:
        misfit_table(args.seeds)
        print(f"\n(total {time.perf_counter() - started:.0f} s)")
        return
    if args.stack:
        stack_row(args)
    if not args.skip_accuracy:
        accuracy_table(args.sizes, args.seeds)
        position_bias_row(args.seeds)
    if not args.skip_fit:
        fitting_speed(args.fit_runs)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
