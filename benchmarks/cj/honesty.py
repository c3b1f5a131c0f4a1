"""The tables of `bench-cj --cohorts` and `bench-cj --grading`."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from itertools import product

import cohorts
import grading
import numpy as np

from services.cj_assessment_service.domain.stopping import StoppingRule

STOP_CONDITION = cohorts.Condition(
    "stop rule: sd 1.7, target 0.80, up to 20 per essay", per_essay=20
)


def _cohort_run(task: tuple[cohorts.Condition, str, int, bool]) -> cohorts.Result:
    condition, design, seed, stopping = task
    return cohorts.run(condition, design, seed, StoppingRule() if stopping else None)


def cohort_table(
    seeds: int, jobs: int, conditions: list[cohorts.Condition], designs: list[str]
) -> None:
    print(
        f"\nHonesty across cohorts ({seeds} seeds each; 10 comparisons per essay; cover = 95%"
        " intervals holding the truth, target 0.92-0.97; rel err = reported - actual"
        " reliability, target within +-0.05)"
    )
    header = f"{'condition':<34}{'design':>9}{'rho':>7}{'cover':>7}"
    print(header + f"{'reported':>9}{'actual':>8}{'rel err':>8}")
    batches = [
        (condition, design, False)
        for condition in conditions
        if condition is not STOP_CONDITION
        for design in designs
    ]
    if STOP_CONDITION in conditions:
        stop_designs = [d for d in designs if d in cohorts.ADAPTIVE_DESIGNS]
        batches += [(STOP_CONDITION, design, True) for design in stop_designs]
    with ProcessPoolExecutor(jobs) as pool:
        for condition, design, stopping in batches:
            tasks = [(condition, design, seed, stopping) for seed in range(seeds)]
            results = list(pool.map(_cohort_run, tasks, chunksize=4))
            _cohort_row(condition.label, design, results)


def _cohort_row(label: str, design: str, results: list[cohorts.Result]) -> None:
    def mean(values: list[float]) -> float:
        return float(np.mean(values))

    reported, actual = mean([r.reported for r in results]), mean([r.actual for r in results])
    print(
        f"{label:<34}{design:>9}{mean([r.rho for r in results]):>7.3f}"
        f"{mean([r.coverage for r in results]):>7.3f}{reported:>9.3f}{actual:>8.3f}"
        f"{reported - actual:>+8.3f}"
    )


def _graded_run(task: tuple[int, int, str]) -> list[grading.Graded]:
    seed, per_essay, method = task
    return grading.run(seed, 50, per_essay, method)


def grading_table(seeds: int, jobs: int) -> None:
    print(
        f"\nGrade projection, 50 essays + 6 anchors over four grades ({seeds} seeds; ECE of the"
        " stated probability of the projected grade, target <= 0.05; per label: stated vs right)"
    )
    print(f"{'per essay':>9}{'method':>8}{'accuracy':>9}{'ECE':>7}  per label: n, stated, right")
    for per_essay, method in product((10, 20), ("before", "now")):
        tasks = [(seed, per_essay, method) for seed in range(seeds)]
        with ProcessPoolExecutor(jobs) as pool:
            graded = [g for run in pool.map(_graded_run, tasks, chunksize=4) for g in run]
        accuracy = float(np.mean([g.correct for g in graded]))
        labels = "  ".join(
            f"{label} {n} {stated:.2f}/{right:.2f}"
            for label, (n, stated, right) in grading.by_label(graded).items()
        )
        ece = grading.calibration(graded)
        print(f"{per_essay:>9}{method:>8}{accuracy:>9.3f}{ece:>7.3f}  {labels}")
