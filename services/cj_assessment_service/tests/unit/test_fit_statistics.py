import math

import numpy as np
import pytest

from services.cj_assessment_service.domain.bradley_terry import (
    BradleyTerryFit,
    ComparisonData,
    fit_bradley_terry,
)
from services.cj_assessment_service.domain.cohort_spread import fit_scores
from services.cj_assessment_service.domain.fit_statistics import (
    fit_reliability,
    misfit_statistics,
    scale_separation_reliability,
)


def fixed_fit(
    scores: list[float], bias: float | None = None, variance: float = 0.0
) -> BradleyTerryFit:
    values = np.array(scores)
    n = values.size
    covariance = variance * np.eye(n)
    return BradleyTerryFit(values, np.sqrt(np.diag(covariance)), covariance, bias, None, 0, 2.0)


def test_ssr_by_hand() -> None:
    # Observed variance (ddof=1) of [-1, 0, 1] is 1; mean error variance 0.25.
    ssr = scale_separation_reliability(np.array([-1.0, 0.0, 1.0]), np.full(3, 0.5))
    assert ssr == pytest.approx(0.75)


def test_ssr_is_zero_when_error_exceeds_spread() -> None:
    assert scale_separation_reliability(np.array([-0.1, 0.1]), np.full(2, 1.0)) == 0.0
    assert scale_separation_reliability(np.zeros(3), np.full(3, 0.2)) == 0.0
    assert scale_separation_reliability(np.array([1.0]), np.array([0.1])) == 0.0


def test_ssr_with_a_prior_undoes_the_shrinkage_first() -> None:
    scores, ses, tau = np.array([-0.9, 0.0, 0.9]), np.full(3, 0.6), 2.0
    k = 1 - 0.36 / 4.0  # shrinkage factor 1 - SE^2 / tau^2
    raw, raw_error = scores / k, 0.36 / k
    expected = (np.var(raw, ddof=1) - raw_error) / np.var(raw, ddof=1)
    assert scale_separation_reliability(scores, ses, tau) == pytest.approx(expected)
    assert scale_separation_reliability(scores, ses, tau) > scale_separation_reliability(
        scores, ses
    )


def test_reliability_grows_with_more_comparisons() -> None:
    rng = np.random.default_rng(4)
    truth = rng.normal(0, 1.7, 30)
    reliabilities = []
    for m in (60, 300, 1500):
        first = rng.integers(0, 30, m)
        second = (first + rng.integers(1, 30, m)) % 30
        won = rng.random(m) < 1 / (1 + np.exp(-(truth[first] - truth[second])))
        reliabilities.append(
            fit_reliability(fit_bradley_terry(ComparisonData(30, first, second, won)))
        )
    assert reliabilities[0] < reliabilities[1] < reliabilities[2]
    assert reliabilities[2] > 0.9


def naive_mean_squares(
    data: ComparisonData, fit: BradleyTerryFit
) -> tuple[list[float], list[float]]:
    """Each squared residual over what the fit leaves of its variance, p(1-p)(1 - p(1-p)Var(d))."""
    scores, c, bias = fit.scores, fit.covariance, fit.position_bias or 0.0
    squares: dict[int, list[tuple[float, float]]] = {i: [] for i in range(data.n_items)}
    for a, b, won in zip(data.first, data.second, data.first_won, strict=True):
        p = 1 / (1 + math.exp(-(scores[a] - scores[b] + bias)))
        leverage = p * (1 - p) * (c[a, a] + c[b, b] - 2 * c[a, b])
        kept = p * (1 - p) * (1 - leverage)
        for item, outcome, prob in ((a, float(won), p), (b, 1.0 - float(won), 1 - p)):
            squares[int(item)].append(((outcome - prob) ** 2, kept))
    infit = [sum(s for s, _ in v) / sum(w for _, w in v) for v in squares.values()]
    outfit = [sum(s / w for s, w in v) / len(v) for v in squares.values()]
    return infit, outfit


def test_infit_and_outfit_match_a_direct_computation() -> None:
    triples = [(0, 1, True), (1, 2, True), (2, 0, True), (0, 2, True), (1, 0, False), (2, 1, True)]
    data = ComparisonData.from_triples(3, triples)
    fit = fixed_fit([0.8, 0.1, -0.9], bias=0.2, variance=0.3)
    misfit = misfit_statistics(data, fit)
    infit, outfit = naive_mean_squares(data, fit)
    assert misfit.infit == pytest.approx(infit)
    assert misfit.outfit == pytest.approx(outfit)


def simulated_assessment(
    seed: int, n: int, per_essay: int, erratic: frozenset[int] = frozenset()
) -> tuple[ComparisonData, BradleyTerryFit]:
    """Random pairs; a comparison that involves an erratic essay is a coin flip."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(0.0, 1.7, n)
    m = n * per_essay // 2
    first = rng.integers(0, n, m)
    second = (first + rng.integers(1, n, m)) % n
    p = 1 / (1 + np.exp(-(truth[first] - truth[second])))
    coin = np.isin(first, list(erratic)) | np.isin(second, list(erratic))
    won = rng.random(m) < np.where(coin, 0.5, p)
    data = ComparisonData(n, first, second, won)
    return data, fit_scores(data)  # the service's fit


def test_mean_squares_are_one_on_average_when_the_model_holds() -> None:
    # Plain mean squares (residual^2 over p(1-p)) average 0.68 here: the fit absorbs part of
    # every residual. Dividing by what the fit leaves brings the expectation to about 0.83.
    infits = [misfit_statistics(*simulated_assessment(s, 60, 10)).infit.mean() for s in range(5)]
    assert 0.78 <= float(np.mean(infits)) <= 1.15


def test_essays_judged_by_coin_flips_are_flagged() -> None:
    erratic = frozenset(range(5))
    caught = false_flags = 0
    for seed in range(4):
        misfit = misfit_statistics(*simulated_assessment(seed, 50, 20, erratic))
        caught += int(misfit.flagged[:5].sum())
        false_flags += int(misfit.flagged[5:].sum())
    # The old limits (infit > 1.5 or outfit > 2.0 on plain mean squares) caught 1 of these 20.
    assert caught >= 14
    assert false_flags <= 0.12 * 4 * 45


def test_the_flag_rate_without_erratic_essays_is_near_the_documented_five_percent() -> None:
    flagged = [
        float(misfit_statistics(*simulated_assessment(100 + seed, 50, 20)).flagged.mean())
        for seed in range(8)
    ]
    assert 0.01 <= float(np.mean(flagged)) <= 0.10


def test_an_erratic_essay_is_flagged_and_a_consistent_one_is_not() -> None:
    # Essay 0 sits in the middle yet beats the strongest essays and loses to the weakest.
    scores = [0.0, 3.0, 2.5, -3.0, -2.5, 0.1]
    triples = []
    for _ in range(3):
        triples += [(0, 1, True), (2, 0, False), (0, 3, False), (4, 0, True)]
        triples += [(5, 1, False), (2, 5, True), (5, 3, True), (4, 5, False)]
    misfit = misfit_statistics(ComparisonData.from_triples(6, triples), fixed_fit(scores))
    assert bool(misfit.flagged[0])
    assert not bool(misfit.flagged[5])
    assert misfit.infit[0] > misfit.infit[5]


def test_essays_with_few_comparisons_are_never_flagged() -> None:
    data = ComparisonData.from_triples(3, [(0, 1, False), (2, 0, True)])
    misfit = misfit_statistics(data, fixed_fit([3.0, -3.0, -3.0]))
    assert not misfit.flagged.any()
