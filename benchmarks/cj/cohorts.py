"""Honesty across cohorts: interval coverage and reliability error for the cohorts schools have.

Each condition draws true abilities (normal at several spreads, skewed, clustered, with a share of
erratic judgements, small and large n), runs one simulated assessment per seed and design, and
compares the reported scores, intervals and reliability with the truth. "before" is the fit the
service used before the spread was inferred (a fixed N(0, 2^2) prior, SSR) driving the same
adaptive design; "no lapse" is the spread-inferring fit without the lapse term (every judgement
taken to follow the model), also driving the adaptive design.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit  # type: ignore[import-untyped]
from scipy.stats import spearmanr  # type: ignore[import-untyped]

from services.cj_assessment_service.domain.bradley_terry import (
    BradleyTerryFit,
    ComparisonData,
    fit_bradley_terry,
)
from services.cj_assessment_service.domain.cohort_spread import fit_hierarchical, fit_scores
from services.cj_assessment_service.domain.design import DesignSettings, next_round
from services.cj_assessment_service.domain.fit_statistics import (
    fit_reliability,
    scale_separation_reliability,
)
from services.cj_assessment_service.domain.pairing import PairingHistory, PlannedPair
from services.cj_assessment_service.domain.stopping import StoppingRule

DESIGNS = ("coverage", "random", "adaptive", "no lapse", "before")
ADAPTIVE_DESIGNS = ("adaptive", "no lapse", "before")
BEFORE_PRIOR_SD = 2.0


@dataclass(frozen=True)
class Condition:
    label: str
    n: int = 50
    spread: float = 1.7
    shape: str = "normal"  # normal, skewed, clustered
    erratic: float = 0.0  # share of judgements that are coin flips
    per_essay: int = 10


CONDITIONS = (
    Condition("reference: normal, sd 1.7"),
    Condition("homogeneous: sd 0.5", spread=0.5),
    Condition("homogeneous: sd 0.7", spread=0.7),
    Condition("wide: sd 3.0", spread=3.0),
    Condition("skewed (exponential)", shape="skewed"),
    Condition("clustered (two groups)", shape="clustered"),
    Condition("10% erratic judgements", erratic=0.1),
    Condition("small: n 12", n=12),
    Condition("large: n 200", n=200),
)


@dataclass(frozen=True)
class Result:
    rho: float
    coverage: float
    reported: float
    actual: float


def abilities(condition: Condition, rng: np.random.Generator) -> np.ndarray:
    n, spread = condition.n, condition.spread
    if condition.shape == "skewed":
        raw = rng.exponential(1.0, n)
    elif condition.shape == "clustered":
        raw = np.where(rng.random(n) < 0.5, -1.0, 1.0) + rng.normal(0.0, 0.35, n)
    else:
        raw = rng.normal(0.0, 1.0, n)
    return np.asarray((raw - raw.mean()) / raw.std() * spread)


def _fitter(design: str) -> Callable[[ComparisonData], BradleyTerryFit]:
    if design == "before":
        return lambda data: fit_bradley_terry(data, prior_sd=BEFORE_PRIOR_SD)
    if design == "no lapse":
        return lambda data: fit_hierarchical(data, lapses=(0.0,))
    return lambda data: fit_scores(data)


def _reliability(design: str, fit: BradleyTerryFit) -> float:
    if design == "before":
        return scale_separation_reliability(fit.scores, fit.standard_errors, fit.prior_sd)
    return fit_reliability(fit)


def _round(
    design: str,
    history: PairingHistory,
    fit: BradleyTerryFit | None,
    rounds: int,
    remaining: int,
    rng: random.Random,
) -> list[PlannedPair]:
    if design == "random":
        size = min(max(1, history.n_items // 2), remaining)
        return [PlannedPair(*rng.sample(range(history.n_items), 2)) for _ in range(size)]
    settings = DesignSettings(adaptive=design in ADAPTIVE_DESIGNS)
    return next_round(
        history, fit, rounds_done=rounds, remaining=remaining, settings=settings, rng=rng
    )


def run(condition: Condition, design: str, seed: int, stop: StoppingRule | None = None) -> Result:
    """One assessment to `per_essay` comparisons per essay (or until `stop` says so)."""
    rng, pairing = np.random.default_rng(seed), random.Random(seed)
    truth = abilities(condition, rng)
    n, fit_of = condition.n, _fitter(design)
    history = PairingHistory(n)
    triples: list[tuple[int, int, bool]] = []
    fit: BradleyTerryFit | None = None
    budget, rounds = n * condition.per_essay // 2, 0
    while len(triples) < budget:
        pairs = _round(design, history, fit, rounds, budget - len(triples), pairing)
        if not pairs:
            break
        rounds += 1
        for pair in pairs:
            p = expit(truth[pair.first] - truth[pair.second])
            p = 0.5 if rng.random() < condition.erratic else p
            triples.append((pair.first, pair.second, bool(rng.random() < p)))
        data = ComparisonData.from_triples(n, triples)
        fit = fit_of(data)
        if stop and stop.reason_to_stop(
            reliability=_reliability(design, fit),
            counts=list(data.counts()),
            completed=len(triples),
            budget=budget,
        ):
            break
    assert fit is not None
    return _scored(design, fit, truth)


def _scored(design: str, fit: BradleyTerryFit, truth: np.ndarray) -> Result:
    centred = truth - truth.mean()
    inside = np.abs(fit.scores - centred) <= 1.96 * fit.standard_errors
    return Result(
        rho=float(spearmanr(fit.scores, centred).statistic),
        coverage=float(inside.mean()),
        reported=_reliability(design, fit),
        actual=float(np.corrcoef(fit.scores, centred)[0, 1] ** 2),
    )
