"""Split-half reliability against the actual reliability of seeded simulated assessments."""

from __future__ import annotations

import numpy as np
import pytest

from services.cj_assessment_service.domain.bradley_terry import ComparisonData
from services.cj_assessment_service.domain.cohort_spread import fit_scores
from services.cj_assessment_service.domain.split_half import split_half_reliability


def _judged(truth: np.ndarray, per_essay: int, seed: int) -> ComparisonData:
    rng = np.random.default_rng(seed)
    n, m = truth.size, truth.size * per_essay // 2
    first = rng.integers(0, n, m)
    second = (first + rng.integers(1, n, m)) % n
    p = 1.0 / (1.0 + np.exp(-(truth[first] - truth[second])))
    return ComparisonData(n, first, second, rng.random(m) < p)


def test_split_half_tracks_the_actual_reliability() -> None:
    estimates, actual = [], []
    for seed in range(4):
        truth = np.random.default_rng(100 + seed).normal(0.0, 1.7, 40)
        data = _judged(truth, 16, seed)
        estimates.append(split_half_reliability(data))
        actual.append(np.corrcoef(fit_scores(data).scores, truth)[0, 1] ** 2)
    assert all(e is not None for e in estimates)
    assert np.mean([e for e in estimates if e is not None]) == pytest.approx(
        np.mean(actual), abs=0.08
    )


def test_judgements_that_follow_no_quality_have_split_half_near_zero() -> None:
    # Disjoint halves of coin flips correlate by chance only (sd about 1/sqrt(n) per split).
    estimates = [split_half_reliability(_judged(np.zeros(40), 12, seed)) for seed in range(3)]
    assert all(e is not None for e in estimates)
    assert np.mean([e for e in estimates if e is not None]) < 0.2


def test_too_few_judgements_give_no_split_half() -> None:
    assert split_half_reliability(_judged(np.zeros(10), 2, seed=1)) is None


def test_the_same_judgements_give_the_same_figure() -> None:
    data = _judged(np.linspace(-2.0, 2.0, 20), 12, seed=3)
    assert split_half_reliability(data) == split_half_reliability(data)
