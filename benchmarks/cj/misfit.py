"""Do the essay misfit statistics find essays that are judged inconsistently?

A simulated assessment (the service's own design and fit, `fit_scores` with the cohort's
spread inferred) of n essays with true abilities
~ N(0, 1.7^2), of which `inconsistent` essays are judged erratically: every comparison that
involves one is a coin flip ("coin"), or the judge sees that essay's quality drawn afresh for
each comparison, N(truth, 2.5^2) ("noisy"). A null cohort (no erratic essay) calibrates the
thresholds. Read at 10 and 20 comparisons per essay, over many seeds.

./dev pdm run bench-cj --misfit [--seeds 100]
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata  # type: ignore[import-untyped]

from services.cj_assessment_service.domain.bradley_terry import (
    BradleyTerryFit,
    ComparisonData,
)
from services.cj_assessment_service.domain.cohort_spread import fit_scores
from services.cj_assessment_service.domain.design import DesignSettings, next_round
from services.cj_assessment_service.domain.fit_statistics import (
    INFIT_T_LIMIT,
    Misfit,
    misfit_statistics,
)
from services.cj_assessment_service.domain.pairing import PairingHistory

TRUE_SD = 1.7
NOISY_SD = 2.5
CHECKPOINTS = (10, 20)
# Today's rule before this benchmark: mean squares over fixed limits.
OLD_INFIT_LIMIT, OLD_OUTFIT_LIMIT = 1.5, 2.0


@dataclass(frozen=True)
class Cohort:
    n_items: int
    inconsistent: int
    mode: str  # "coin" or "noisy"
    adaptive: bool


@dataclass(frozen=True)
class Reading:
    """One assessment at one budget: per essay, whether erratic, the statistics, the error."""

    per_essay: int
    erratic: np.ndarray
    misfit: Misfit
    old_flags: np.ndarray
    abs_error: np.ndarray


def old_flags(data: ComparisonData, fit: BradleyTerryFit) -> np.ndarray:
    """The rule before: plain mean squares (no allowance for the fit) over fixed limits."""
    n = data.n_items
    p = 1.0 / (
        1.0
        + np.exp(-(fit.scores[data.first] - fit.scores[data.second] + (fit.position_bias or 0.0)))
    )
    w, r2 = p * (1.0 - p), (data.first_won - p) ** 2

    def per_essay(values: np.ndarray) -> np.ndarray:
        return np.bincount(data.first, values, n) + np.bincount(data.second, values, n)

    counts = per_essay(np.ones_like(w))
    infit = per_essay(r2) / np.maximum(per_essay(w), 1e-12)
    outfit = per_essay(r2 / np.maximum(w, 1e-12)) / np.maximum(counts, 1.0)
    flags: np.ndarray = (counts >= 5) & ((infit > OLD_INFIT_LIMIT) | (outfit > OLD_OUTFIT_LIMIT))
    return flags


def _winner(
    truth: np.ndarray, erratic: np.ndarray, mode: str, rng: np.random.Generator
) -> Callable[[int, int], bool]:
    def first_won(a: int, b: int) -> bool:
        if mode == "coin" and (erratic[a] or erratic[b]):
            return bool(rng.random() < 0.5)
        qa, qb = truth[a], truth[b]
        if mode == "noisy":
            qa += erratic[a] * rng.normal(0.0, NOISY_SD)
            qb += erratic[b] * rng.normal(0.0, NOISY_SD)
        return bool(rng.random() < 1.0 / (1.0 + np.exp(-(qa - qb))))

    return first_won


def run(cohort: Cohort, seed: int) -> list[Reading]:
    n = cohort.n_items
    rng = np.random.default_rng(seed)
    truth = rng.normal(0.0, TRUE_SD, n)
    erratic = np.zeros(n, dtype=bool)
    erratic[rng.choice(n, cohort.inconsistent, replace=False)] = True
    first_won = _winner(truth, erratic, cohort.mode, rng)
    settings = DesignSettings(comparisons_per_essay=max(CHECKPOINTS), adaptive=cohort.adaptive)
    history, pair_rng = PairingHistory(n), random.Random(seed)
    triples: list[tuple[int, int, bool]] = []
    fit: BradleyTerryFit | None = None
    readings, rounds = [], 0
    for per_essay in CHECKPOINTS:
        stop = n * per_essay // 2
        while len(triples) < stop:
            pairs = next_round(
                history,
                fit,
                rounds_done=rounds,
                remaining=stop - len(triples),
                settings=settings,
                rng=pair_rng,
            )
            if not pairs:
                break
            rounds += 1
            triples += [(p.first, p.second, first_won(p.first, p.second)) for p in pairs]
            fit = fit_scores(ComparisonData.from_triples(n, triples))
        data = ComparisonData.from_triples(n, triples)
        assert fit is not None
        error = np.abs(fit.scores - (truth - truth.mean()))
        misfit = misfit_statistics(data, fit)
        readings.append(Reading(per_essay, erratic, misfit, old_flags(data, fit), error))
    return readings


def auc(positive: np.ndarray, values: np.ndarray) -> float:
    """P(a positive's value > a negative's), ties half (Mann-Whitney)."""
    ranks = rankdata(values)
    k, m = int(positive.sum()), int((~positive).sum())
    if k == 0 or m == 0:
        return float("nan")
    return float((ranks[positive].sum() - k * (k + 1) / 2) / (k * m))


# Each statistic oriented so that larger means more erratic.
STATISTICS: dict[str, Callable[[Misfit], np.ndarray]] = {
    "infit MS": lambda m: m.infit,
    "outfit MS": lambda m: m.outfit,
    "infit t": lambda m: m.infit_t,
    "outfit t": lambda m: m.outfit_t,
}


@dataclass(frozen=True)
class Pooled:
    erratic: np.ndarray
    worst: np.ndarray  # the essays with the largest absolute error, as many as are erratic
    values: dict[str, np.ndarray]
    old_flags: np.ndarray
    flags: np.ndarray


def pooled(readings: list[Reading]) -> Pooled:
    worst = []
    for r in readings:
        top = np.zeros(r.erratic.size, dtype=bool)
        top[np.argsort(-r.abs_error)[: max(1, int(r.erratic.sum()))]] = True
        worst.append(top)
    return Pooled(
        erratic=np.concatenate([r.erratic for r in readings]),
        worst=np.concatenate(worst),
        values={k: np.concatenate([f(r.misfit) for r in readings]) for k, f in STATISTICS.items()},
        old_flags=np.concatenate([r.old_flags for r in readings]),
        flags=np.concatenate([r.misfit.flagged for r in readings]),
    )


def _readings(cohort: Cohort, seeds: int) -> Iterator[list[Reading]]:
    for seed in range(seeds):
        yield run(cohort, seed)


def collect(cohort: Cohort, seeds: int) -> dict[int, Pooled]:
    per_budget: dict[int, list[Reading]] = {k: [] for k in CHECKPOINTS}
    for readings in _readings(cohort, seeds):
        for r in readings:
            per_budget[r.per_essay].append(r)
    return {k: pooled(v) for k, v in per_budget.items()}


def _share(flags: np.ndarray, among: np.ndarray) -> float:
    return float(flags[among].mean()) if among.any() else float("nan")


def misfit_table(seeds: int, n_items: int = 50, inconsistent: int = 5) -> None:
    print(
        f"\nMisfit: n={n_items}, {inconsistent} erratic essays, {seeds} seeds per row;"
        " null = the same cohort with no erratic essay"
    )
    print(
        "  sens = share of erratic essays flagged; false = share of consistent essays flagged;"
        " AUC = ranking erratic (or worst-estimated) essays above the rest"
    )
    for adaptive in (False, True):
        design = "adaptive" if adaptive else "coverage"
        null = collect(Cohort(n_items, 0, "coin", adaptive), seeds)
        for mode in ("coin", "noisy"):
            result = collect(Cohort(n_items, inconsistent, mode, adaptive), seeds)
            for per_essay in CHECKPOINTS:
                _rows(f"{design} {mode} {per_essay}/essay", result[per_essay], null[per_essay])


def _rows(label: str, p: Pooled, null: Pooled) -> None:
    consistent = ~p.erratic
    print(f"\n  {label}")
    print(
        f"    {'rule':<26} {'sens':>6} {'false':>6} {'null false':>10}"
        f" {'AUC erratic':>11} {'AUC worst':>9}"
    )
    everyone = np.ones_like(null.erratic)
    for name, flags, null_flags in (
        ("old: infit>1.5|outfit>2", p.old_flags, null.old_flags),
        (f"service: infit t>{INFIT_T_LIMIT}", p.flags, null.flags),
    ):
        print(
            f"    {name:<26} {_share(flags, p.erratic):>6.3f} {_share(flags, consistent):>6.3f}"
            f" {_share(null_flags, everyone):>10.3f} {auc(p.erratic, flags.astype(float)):>11.3f}"
            f" {auc(p.worst, flags.astype(float)):>9.3f}"
        )
    for name, values in p.values.items():
        cut = float(np.quantile(null.values[name], 0.95))
        flags = values > cut
        print(
            f"    {name + f' > null q95 {cut:.2f}':<26} {_share(flags, p.erratic):>6.3f}"
            f" {_share(flags, consistent):>6.3f} {0.05:>10.3f}"
            f" {auc(p.erratic, values):>11.3f} {auc(p.worst, values):>9.3f}"
        )
