"""The lapse term: a share of judgements that ignore the essays (coin flips).

The likelihood's derivatives are checked against finite differences of the objective, and seeded
simulations check that the fit finds the lapses where they are and widens the scale they
compress.
"""

from __future__ import annotations

import numpy as np
import pytest

from services.cj_assessment_service.domain.bradley_terry import (
    ComparisonData,
    _gradient,
    design_of,
    information,
    newton,
    objective,
)
from services.cj_assessment_service.domain.cohort_spread import fit_hierarchical


def _judged(n: int, m: int, seed: int, lapse: float, sd: float = 1.7) -> ComparisonData:
    rng = np.random.default_rng(seed)
    truth = rng.normal(0.0, sd, n)
    first = rng.integers(0, n, m)
    second = (first + rng.integers(1, n, m)) % n
    p = 1.0 / (1.0 + np.exp(-(truth[first] - truth[second])))
    p = np.where(rng.random(m) < lapse, 0.5, p)
    return ComparisonData(n, first, second, rng.random(m) < p)


@pytest.mark.parametrize("with_bias", [False, True])
def test_the_gradient_and_hessian_are_the_objectives_derivatives(with_bias: bool) -> None:
    data = _judged(6, 40, seed=2, lapse=0.2)
    design = design_of(data, 1.5, with_bias, lapse=0.15)
    point = np.random.default_rng(7).normal(0.0, 1.0, design.size)
    step, size = 1e-5, design.size
    numeric_gradient, numeric_hessian = np.empty(size), np.empty((size, size))
    for k in range(size):
        shift = np.zeros(size)
        shift[k] = step
        up, down = objective(design, point + shift), objective(design, point - shift)
        numeric_gradient[k] = -(up - down) / (2 * step)
        numeric_hessian[:, k] = -(
            _gradient(design, point + shift) - _gradient(design, point - shift)
        )
    numeric_hessian /= 2 * step
    assert _gradient(design, point) == pytest.approx(numeric_gradient, abs=1e-6)
    assert information(design, point, clip=False) == pytest.approx(numeric_hessian, abs=1e-5)


def test_without_a_lapse_the_hessian_is_the_fisher_information() -> None:
    data = _judged(6, 40, seed=3, lapse=0.0)
    design = design_of(data, 1.5, False)
    point = np.random.default_rng(1).normal(0.0, 1.0, design.size)
    assert information(design, point, clip=False) == pytest.approx(information(design, point))


def test_the_fit_with_a_lapse_reaches_the_optimum() -> None:
    design = design_of(_judged(20, 200, seed=4, lapse=0.2), 1.7, False, lapse=0.1)
    params, _ = newton(design, 1e-9, 100)
    assert np.max(np.abs(_gradient(design, params))) < 1e-6


def test_the_lapse_share_is_larger_where_judgements_are_coin_flips() -> None:
    # 15 comparisons per essay tell a lapse from a narrower scale only weakly, so the posterior
    # mean stays below the true 0.2; it still separates clean from erratic judging.
    clean = [fit_hierarchical(_judged(40, 600, seed, lapse=0.0)).lapse for seed in range(3)]
    erratic = [fit_hierarchical(_judged(40, 600, seed, lapse=0.2)).lapse for seed in range(3)]
    assert np.mean(clean) < 0.03
    assert np.mean(erratic) > 0.045
    assert all(e > c for e, c in zip(erratic, clean, strict=True))


def test_coin_flips_compress_the_scale_less() -> None:
    # Each coin flip between distant essays is an upset the lapse-free model must explain with a
    # narrower scale. The lapse term takes part of that back (10% here; the true spread is 1.7).
    data = [_judged(40, 600, seed, lapse=0.2) for seed in range(3)]
    free = [fit_hierarchical(d, lapses=(0.0,)).prior_sd for d in data]
    with_lapse = [fit_hierarchical(d).prior_sd for d in data]
    assert all(a > b * 1.07 for a, b in zip(with_lapse, free, strict=True))
    assert all(a < 1.7 for a in with_lapse)
