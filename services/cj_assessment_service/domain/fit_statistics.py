"""Reliability and misfit statistics of a Bradley-Terry fit."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit  # type: ignore[import-untyped]

from services.cj_assessment_service.domain.bradley_terry import (
    BradleyTerryFit,
    ComparisonData,
    FloatArray,
    IntArray,
)

INFIT_T_LIMIT = 1.0
MIN_COMPARISONS_FOR_MISFIT = 5


def scale_separation_reliability(
    scores: FloatArray, standard_errors: FloatArray, prior_sd: float | None = None
) -> float:
    """SSR = (observed variance - mean error variance) / observed variance, clipped to [0, 1].

    With a prior the scores are shrunk towards 0 and the formula would understate reliability, so
    it is applied to the likelihood-only equivalents: the shrinkage factor k = 1 - SE^2 / prior_sd^2
    turns a penalised estimate into theta / k with error variance SE^2 / k.
    """
    if scores.size < 2:
        return 0.0
    if prior_sd is not None:
        shrinkage = np.clip(1.0 - standard_errors**2 / prior_sd**2, 1e-6, 1.0)
        scores, standard_errors = scores / shrinkage, standard_errors / np.sqrt(shrinkage)
    observed = float(np.var(scores, ddof=1))
    if observed <= 0.0:
        return 0.0
    error = float(np.mean(standard_errors**2))
    return float(np.clip((observed - error) / observed, 0.0, 1.0))


def fit_reliability(fit: BradleyTerryFit) -> float:
    """The expected squared correlation of the scores with the true abilities, under the fit.

    With t = s + e, e ~ N(0, covariance) around the mean-centred scores s, E[corr(s, t)^2] is
    close to (s's + s'Cs / s's) / (s's + trace C): the share of the true scores' spread that the
    estimates carry. It stays honest under adaptive pairing and any cohort spread when the fit
    infers the spread (`fit_hierarchical`); SSR from a fixed prior does not.
    """
    return posterior_reliability(fit.scores, fit.covariance)


def posterior_reliability(scores: FloatArray, covariance: FloatArray) -> float:
    centred = scores - scores.mean()
    signal = float(centred @ centred)
    if scores.size < 2 or signal <= 0.0:
        return 0.0
    along = float(centred @ covariance @ centred) / signal
    return float(np.clip((signal + along) / (signal + float(np.trace(covariance))), 0.0, 1.0))


@dataclass(frozen=True)
class Misfit:
    infit: FloatArray  # information-weighted mean square of the essay's residuals
    outfit: FloatArray  # unweighted mean square
    infit_t: FloatArray  # Wilson-Hilferty standardised infit
    outfit_t: FloatArray
    flagged: NDArray[np.bool_]


@dataclass(frozen=True)
class _Residuals:
    """Each comparison seen from both of its essays."""

    item: IntArray
    residual: FloatArray  # outcome (1 = the essay won) minus its model probability
    variance: FloatArray  # p(1 - p)
    # What the fit leaves of the variance: p(1 - p)(1 - h) with the leverage h of the comparison.
    residual_variance: FloatArray


def misfit_statistics(data: ComparisonData, fit: BradleyTerryFit) -> Misfit:
    """Infit and outfit mean squares per essay, standardised, and flags on the standardised infit.

    The fitted scores come from the same comparisons, so residuals are smaller than the model's
    p(1 - p): plain mean squares average 0.68-0.78 at 10-20 comparisons per essay, and fixed
    limits on them catch almost nothing. Each comparison's expected squared residual here is
    what the fit leaves of its variance, p(1 - p)(1 - h), with its leverage h = p(1 - p) Var(d)
    (Var(d) from the fit's covariance): these mean squares average 0.83-0.88 when the model
    holds. The limit on the Wilson-Hilferty t of the infit is calibrated by simulation
    (benchmarks/cj/misfit.py): with no erratic essay it flags 3-7% of essays, by design and
    budget.
    """
    ms = _mean_squares(data, fit)
    flagged = (data.counts() >= MIN_COMPARISONS_FOR_MISFIT) & (ms.infit_t > INFIT_T_LIMIT)
    return Misfit(ms.infit, ms.outfit, ms.infit_t, ms.outfit_t, flagged)


@dataclass(frozen=True)
class _MeanSquares:
    infit: FloatArray
    outfit: FloatArray
    infit_t: FloatArray
    outfit_t: FloatArray


def _mean_squares(data: ComparisonData, fit: BradleyTerryFit) -> _MeanSquares:
    r = _residuals(data, fit)
    infit, infit_t = _infit(r, data.n_items)
    outfit, outfit_t = _outfit(r, data.n_items)
    return _MeanSquares(infit, outfit, infit_t, outfit_t)


@dataclass(frozen=True)
class ComparisonResiduals:
    """Per comparison, from the first essay's side: P(first wins), outcome - p, and what the fit
    leaves of the outcome's variance, p(1 - p)(1 - h)."""

    p_first: FloatArray
    residual: FloatArray
    residual_variance: FloatArray


def comparison_residuals(data: ComparisonData, fit: BradleyTerryFit) -> ComparisonResiduals:
    p_first = _probability_first(data, fit)
    return ComparisonResiduals(
        p_first, data.first_won - p_first, _residual_variance(data, fit, p_first)
    )


def _residual_variance(
    data: ComparisonData, fit: BradleyTerryFit, p_first: FloatArray
) -> FloatArray:
    variance = p_first * (1.0 - p_first)
    kept: FloatArray = variance * np.clip(
        1.0 - variance * _difference_variance(data, fit), 0.05, 1.0
    )
    return kept


def _probability_first(data: ComparisonData, fit: BradleyTerryFit) -> FloatArray:
    distance = fit.scores[data.first] - fit.scores[data.second]
    p: FloatArray = expit(distance + (fit.position_bias or 0.0))
    return p


def _difference_variance(data: ComparisonData, fit: BradleyTerryFit) -> FloatArray:
    c = fit.covariance
    a, b = data.first, data.second
    return np.maximum(c[a, a] + c[b, b] - 2.0 * c[a, b], 0.0)


def _residuals(data: ComparisonData, fit: BradleyTerryFit) -> _Residuals:
    p_first = _probability_first(data, fit)
    won = data.first_won.astype(np.float64)
    variance = p_first * (1.0 - p_first)
    kept = _residual_variance(data, fit, p_first)
    return _Residuals(
        item=np.concatenate([data.first, data.second]),
        residual=np.concatenate([won - p_first, p_first - won]),
        variance=np.concatenate([variance, variance]),
        residual_variance=np.concatenate([kept, kept]),
    )


def _sum(r: _Residuals, values: FloatArray, n: int) -> FloatArray:
    return np.bincount(r.item, values, n).astype(np.float64)


def _infit(r: _Residuals, n: int) -> tuple[FloatArray, FloatArray]:
    # Var((y - p)^2) = w - 4 w^2 for a Bernoulli outcome with variance w.
    expected = _sum(r, r.residual_variance, n)
    mean_square = _safe_ratio(_sum(r, r.residual**2, n), expected)
    spread = _safe_ratio(_sum(r, r.variance - 4.0 * r.variance**2, n), expected**2)
    return mean_square, _wilson_hilferty(mean_square, spread)


def _outfit(r: _Residuals, n: int) -> tuple[FloatArray, FloatArray]:
    kept = np.maximum(r.residual_variance, 1e-12)
    counts = _sum(r, np.ones_like(kept), n)
    mean_square = _safe_ratio(_sum(r, r.residual**2 / kept, n), counts)
    # Var((y - p)^2 / w) = 1 / w - 4.
    each = (r.variance - 4.0 * r.variance**2) / kept**2
    spread = _safe_ratio(_sum(r, each, n), counts**2)
    return mean_square, _wilson_hilferty(mean_square, spread)


def _wilson_hilferty(mean_square: FloatArray, variance: FloatArray) -> FloatArray:
    q = np.sqrt(np.maximum(variance, 1e-12))
    t: FloatArray = (np.cbrt(mean_square) - 1.0) * (3.0 / q) + q / 3.0
    return np.where(variance > 0, t, 0.0)


def _safe_ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    ratio = np.ones_like(numerator)
    np.divide(numerator, denominator, out=ratio, where=denominator > 0)
    return ratio
