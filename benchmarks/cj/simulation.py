"""Simulated CJ assessments with known true abilities, driven by the service's own domain code."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr  # type: ignore[import-untyped]

from services.cj_assessment_service.domain.bradley_terry import (
    BradleyTerryFit,
    ComparisonData,
)
from services.cj_assessment_service.domain.cohort_spread import fit_scores
from services.cj_assessment_service.domain.design import DesignSettings, next_round
from services.cj_assessment_service.domain.fit_statistics import fit_reliability
from services.cj_assessment_service.domain.pairing import PairingHistory
from services.cj_assessment_service.domain.simulated_judge import SimulatedJudgeModel

TRUE_SD = 1.7


@dataclass(frozen=True)
class Snapshot:
    comparisons: int
    per_essay: float
    rho: float
    covered: float  # share of essays whose true (centred) ability is inside the 95% interval
    ssr: float
    actual_reliability: float  # squared correlation of estimate and truth
    position_bias: float | None


@dataclass(frozen=True)
class Scenario:
    n_items: int
    seed: int
    adaptive: bool
    max_per_essay: int = 20
    checkpoints: tuple[int, ...] = (5, 10, 15, 20)
    judge_position_bias: float = 0.0
    prior_sd: float | None = None  # None: the service's fit, which infers the cohort's spread
    coverage_rounds: int = DesignSettings.coverage_rounds
    adaptive_round_share: float = DesignSettings.adaptive_round_share


def snapshot(fit: BradleyTerryFit, truth: np.ndarray, comparisons: int) -> Snapshot:
    centred = truth - truth.mean()
    inside = np.abs(fit.scores - centred) <= 1.96 * fit.standard_errors
    return Snapshot(
        comparisons=comparisons,
        per_essay=2.0 * comparisons / truth.size,
        rho=float(spearmanr(fit.scores, centred).statistic),
        covered=float(inside.mean()),
        ssr=fit_reliability(fit),
        actual_reliability=float(np.corrcoef(fit.scores, centred)[0, 1] ** 2),
        position_bias=fit.position_bias,
    )


def run_scenario(scenario: Scenario) -> list[Snapshot]:
    """One sequential assessment to the largest budget, with a snapshot after every round.

    Rounds are cut at each checkpoint budget, so the snapshot there is what an assessment with
    exactly that budget would have produced.
    """
    n = scenario.n_items
    truth = np.random.default_rng(scenario.seed).normal(0.0, TRUE_SD, n)
    judge = SimulatedJudgeModel(seed=scenario.seed, position_bias=scenario.judge_position_bias)
    settings = DesignSettings(
        comparisons_per_essay=scenario.max_per_essay,
        adaptive=scenario.adaptive,
        coverage_rounds=scenario.coverage_rounds,
        adaptive_round_share=scenario.adaptive_round_share,
    )
    history, rng = PairingHistory(n), random.Random(scenario.seed)
    triples: list[tuple[int, int, bool]] = []
    fit: BradleyTerryFit | None = None
    snapshots, rounds = [], 0
    for stop in (n * per_essay // 2 for per_essay in scenario.checkpoints):
        while len(triples) < stop:
            pairs = next_round(
                history,
                fit,
                rounds_done=rounds,
                remaining=stop - len(triples),
                settings=settings,
                rng=rng,
            )
            if not pairs:
                break
            rounds += 1
            for pair in pairs:
                decision = judge.decide(truth[pair.first], truth[pair.second], str(len(triples)))
                triples.append((pair.first, pair.second, decision.first_won))
            data = ComparisonData.from_triples(n, triples)
            fit = fit_scores(data, scenario.prior_sd)
            snapshots.append(snapshot(fit, truth, len(triples)))
    return snapshots


def at_budget(snapshots: list[Snapshot], per_essay: int, n_items: int) -> Snapshot:
    target = n_items * per_essay // 2
    return [s for s in snapshots if s.comparisons <= target][-1]


def rho_curve(snapshots: list[Snapshot], grid: np.ndarray) -> np.ndarray:
    """rho as a step function of comparisons per essay (the last fit at or before each point)."""
    per_essay = np.array([s.per_essay for s in snapshots])
    rho = np.array([s.rho for s in snapshots])
    index = np.searchsorted(per_essay, grid, side="right") - 1
    return np.where(index >= 0, rho[np.clip(index, 0, None)], np.nan)
