"""Reliability and misfit statistics of a Bradley-Terry fit."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit  # type: ignore[import-untyped]

from services.cj_assessment_service.domain.bradley_terry import (
    BradleyTerryFit,
    ComparisonData,
    FloatArray,
)

INFIT_LIMIT = 1.5
OUTFIT_LIMIT = 2.0
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
    return scale_separation_reliability(fit.scores, fit.standard_errors, fit.prior_sd)


@dataclass(frozen=True)
class Misfit:
    infit: FloatArray
    outfit: FloatArray
    flagged: NDArray[np.bool_]


def misfit_statistics(data: ComparisonData, fit: BradleyTerryFit) -> Misfit:
    """Infit (information-weighted) and outfit (unweighted) mean squares per essay."""
    n = data.n_items
    eta = fit.scores[data.first] - fit.scores[data.second] + (fit.position_bias or 0.0)
    p_first = expit(eta)
    variance = p_first * (1.0 - p_first)
    squared = (data.first_won - p_first) ** 2  # the same for both essays of a comparison
    total_variance = _per_item(data, variance, n)
    counts = data.counts().astype(np.float64)
    infit = _safe_ratio(_per_item(data, squared, n), total_variance)
    outfit = _safe_ratio(_per_item(data, squared / np.maximum(variance, 1e-12), n), counts)
    flagged = (counts >= MIN_COMPARISONS_FOR_MISFIT) & (
        (infit > INFIT_LIMIT) | (outfit > OUTFIT_LIMIT)
    )
    return Misfit(infit, outfit, flagged)


def _per_item(data: ComparisonData, values: FloatArray, n: int) -> FloatArray:
    total = np.bincount(data.first, values, n) + np.bincount(data.second, values, n)
    return total.astype(np.float64)


def _safe_ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    ratio = np.ones_like(numerator)
    np.divide(numerator, denominator, out=ratio, where=denominator > 0)
    return ratio
