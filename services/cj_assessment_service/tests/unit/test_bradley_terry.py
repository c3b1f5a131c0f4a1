import math

import choix
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq  # type: ignore[import-untyped]

from services.cj_assessment_service.domain.bradley_terry import (
    ComparisonData,
    FitError,
    _gradient,
    design_of,
    fit_bradley_terry,
    position_bias_is_estimable,
)

FLAT = 1e4  # a prior sd this wide leaves the plain maximum-likelihood answer


def simulated(n: int, m: int, seed: int, bias: float = 0.0, sd: float = 1.7) -> ComparisonData:
    rng = np.random.default_rng(seed)
    truth = rng.normal(0.0, sd, n)
    first = rng.integers(0, n, m)
    second = (first + rng.integers(1, n, m)) % n
    p = 1.0 / (1.0 + np.exp(-(truth[first] - truth[second] + bias)))
    return ComparisonData(n, first, second, rng.random(m) < p)


def test_two_essays_match_the_closed_form_maximum_likelihood() -> None:
    # Essay 0 wins 3 of 4: theta0 - theta1 = log 3, Var(diff) = 1 / (4 p (1-p)) with p = 3/4.
    data = ComparisonData.from_triples(2, [(0, 1, True), (1, 0, False), (0, 1, True), (1, 0, True)])
    fit = fit_bradley_terry(data, prior_sd=FLAT, estimate_position_bias=False)
    assert fit.scores[0] - fit.scores[1] == pytest.approx(math.log(3), abs=1e-6)
    assert fit.scores.sum() == pytest.approx(0.0, abs=1e-12)
    # Centred: each score is +-diff/2, so each SE is sqrt(Var(diff)) / 2 = sqrt(4/3) / 2.
    assert fit.standard_errors == pytest.approx([math.sqrt(4 / 3) / 2] * 2, rel=1e-6)


def test_two_essays_with_the_prior_solve_the_stationarity_equation() -> None:
    tau, wins, total = 2.0, 5, 5
    data = ComparisonData.from_triples(2, [(0, 1, True)] * wins)
    fit = fit_bradley_terry(data, prior_sd=tau, estimate_position_bias=False)

    # d(log posterior)/d(theta0) with theta0 = -theta1 = d/2: wins - total*sigma(d) - (d/2)/tau^2.
    def stationarity(d: float) -> float:
        return wins - total / (1 + math.exp(-d)) - (d / 2) / tau**2

    expected = brentq(stationarity, 0.0, 20.0)
    assert fit.scores[0] - fit.scores[1] == pytest.approx(expected, abs=1e-8)
    assert np.all(np.isfinite(fit.scores))


def test_a_cycle_gives_equal_scores_and_equal_errors() -> None:
    data = ComparisonData.from_triples(3, [(0, 1, True), (1, 2, True), (2, 0, True)])
    fit = fit_bradley_terry(data, estimate_position_bias=False)
    assert fit.scores == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    assert fit.standard_errors[0] == pytest.approx(fit.standard_errors[1])
    assert fit.standard_errors[1] == pytest.approx(fit.standard_errors[2])


def test_matches_choix_map_estimate() -> None:
    data = simulated(25, 400, seed=3)
    tau = 2.0
    fit = fit_bradley_terry(data, prior_sd=tau, estimate_position_bias=False)
    pairs = [
        (int(a), int(b)) if won else (int(b), int(a))
        for a, b, won in zip(data.first, data.second, data.first_won, strict=True)
    ]
    # choix penalises alpha * sum(theta^2), i.e. a Gaussian prior with variance 1 / (2 alpha).
    reference = choix.opt_pairwise(25, pairs, alpha=1 / (2 * tau**2), tol=1e-12)
    assert fit.scores == pytest.approx(reference - reference.mean(), abs=1e-6)


def test_standard_errors_are_the_centred_inverse_hessian_of_the_objective() -> None:
    data = simulated(8, 60, seed=5)
    fit = fit_bradley_terry(data, estimate_position_bias=False)
    design = design_of(data, fit.prior_sd, with_bias=False)
    step, n = 1e-5, data.n_items
    hessian = np.empty((n, n))
    for k in range(n):
        shift = np.zeros(n)
        shift[k] = step
        upper, lower = _gradient(design, fit.scores + shift), _gradient(design, fit.scores - shift)
        hessian[:, k] = -(upper - lower) / (2 * step)
    centring = np.eye(n) - 1.0 / n
    expected = centring @ np.linalg.inv(hessian) @ centring
    assert fit.covariance == pytest.approx(expected, abs=1e-6)
    assert fit.standard_errors == pytest.approx(np.sqrt(np.diag(expected)), rel=1e-5)


def test_no_essay_is_a_reference_with_zero_error() -> None:
    fit = fit_bradley_terry(simulated(12, 80, seed=9))
    assert np.all(fit.standard_errors > 0.1)
    assert fit.covariance.sum(axis=0) == pytest.approx(np.zeros(12), abs=1e-9)


def test_an_essay_that_wins_everything_gets_a_finite_score() -> None:
    triples = [(0, k, True) for k in range(1, 6)] + [(1, 2, True), (3, 4, False), (2, 5, True)]
    fit = fit_bradley_terry(ComparisonData.from_triples(6, triples))
    assert np.all(np.isfinite(fit.scores))
    assert int(np.argmax(fit.scores)) == 0


def test_position_bias_is_recovered_when_the_data_allow() -> None:
    data = simulated(40, 4000, seed=11, bias=0.5)
    fit = fit_bradley_terry(data)
    assert fit.position_bias is not None
    assert fit.position_bias_se is not None
    assert abs(fit.position_bias - 0.5) < 3 * fit.position_bias_se


def test_position_bias_is_left_out_when_the_data_are_too_few() -> None:
    data = simulated(6, 10, seed=1)
    assert not position_bias_is_estimable(data)
    assert fit_bradley_terry(data).position_bias is None


def test_position_bias_needs_wins_in_both_positions() -> None:
    data = ComparisonData.from_triples(10, [(k % 10, (k + 1) % 10, True) for k in range(40)])
    assert not position_bias_is_estimable(data)


def test_bias_term_does_not_move_scores_of_a_balanced_design_much() -> None:
    data = simulated(30, 600, seed=2)
    with_bias = fit_bradley_terry(data, estimate_position_bias=True)
    without = fit_bradley_terry(data, estimate_position_bias=False)
    assert np.corrcoef(with_bias.scores, without.scores)[0, 1] > 0.99


@pytest.mark.parametrize(
    ("n_items", "triples", "message"),
    [
        (1, [], "two items"),
        (3, [(0, 3, True)], "unknown item"),
        (3, [(-1, 0, True)], "unknown item"),
        (3, [(1, 1, True)], "itself"),
    ],
)
def test_invalid_data_is_refused(
    n_items: int, triples: list[tuple[int, int, bool]], message: str
) -> None:
    with pytest.raises(FitError, match=message):
        fit_bradley_terry(ComparisonData.from_triples(n_items, triples))


def test_a_non_positive_prior_is_refused() -> None:
    with pytest.raises(FitError, match="prior_sd"):
        fit_bradley_terry(ComparisonData.from_triples(2, [(0, 1, True)]), prior_sd=0.0)


def test_no_comparisons_give_zero_scores_and_prior_errors() -> None:
    fit = fit_bradley_terry(ComparisonData.from_triples(4, []), prior_sd=2.0)
    assert fit.scores == pytest.approx(np.zeros(4))
    # Var(theta_i - mean) = tau^2 (1 - 1/n) for independent N(0, tau^2) parameters.
    assert fit.standard_errors == pytest.approx(np.full(4, 2.0 * math.sqrt(0.75)))


comparisons = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.booleans()).filter(lambda t: t[0] != t[1]),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(comparisons)
def test_any_data_give_a_centred_finite_fit_independent_of_labels(
    triples: list[tuple[int, int, bool]],
) -> None:
    fit = fit_bradley_terry(ComparisonData.from_triples(6, triples))
    assert fit.scores.sum() == pytest.approx(0.0, abs=1e-8)
    assert np.all(np.isfinite(fit.scores))
    assert np.all(fit.standard_errors > 0)
    relabel = [5, 4, 3, 2, 1, 0]
    permuted = [(relabel[a], relabel[b], won) for a, b, won in triples]
    other = fit_bradley_terry(ComparisonData.from_triples(6, permuted))
    assert other.scores[relabel] == pytest.approx(fit.scores, abs=1e-6)
