"""The service's fit: Bradley-Terry with the cohort's spread inferred, not assumed.

A fixed prior shrinks a wide cohort too much and lets a homogeneous one spread too far, and under
adaptive pairing either makes the intervals and the reliability dishonest; so the spread gets a
prior of its own and the fits over a grid of spreads are mixed by their evidence.
"""

import numpy as np
from scipy.linalg.lapack import dpotrf  # type: ignore[import-untyped]

from services.cj_assessment_service.domain.bradley_terry import (
    DEFAULT_PRIOR_SD,
    BradleyTerryFit,
    ComparisonData,
    Design,
    FitError,
    FloatArray,
    design_of,
    fit_bradley_terry,
    hessian,
    newton,
    objective,
    position_bias_is_estimable,
    summarise,
    validate,
)

# The cohort's spread (sd of the abilities, logits) is integrated over this grid: below it essays
# are indistinguishable at any realistic number of comparisons, above it every comparison is a
# foregone conclusion.
SPREAD_GRID = np.exp(np.linspace(np.log(0.05), np.log(8.0), 25))
MIN_SPREAD_WEIGHT = 1e-4  # grid points with less posterior weight than this are left out
# The share of judgements that are coin flips (lapses), equally likely a priori at each value.
LAPSE_GRID = (0.0, 0.05, 0.1, 0.2)
LAPSE_WINDOW_LOG_WEIGHT = 14.0  # lapse fits at spreads within e^14 of the best lapse-free one
LAPSE_WINDOW_WIDER = 4  # and this many grid steps (a factor 1.235 each) wider


def fit_scores(data: ComparisonData, prior_sd: float | None = None) -> BradleyTerryFit:
    """The service's fit: the cohort's spread inferred (`prior_sd=None`), or a fixed prior."""
    if prior_sd is None:
        return fit_hierarchical(data)
    return fit_bradley_terry(data, prior_sd=prior_sd)


def fit_hierarchical(
    data: ComparisonData,
    *,
    estimate_position_bias: bool | None = None,
    lapses: tuple[float, ...] = LAPSE_GRID,
) -> BradleyTerryFit:
    """Scores and their covariance averaged over the cohort's spread, as the judgements support it.

    The abilities are N(0, s^2) with s uniform over SPREAD_GRID's range. For each grid value the
    penalised fit gives the mode and the Laplace approximation of the evidence p(y | s); the
    result is the evidence-weighted mixture: the mean of the modes, and the mean of the
    covariances plus the covariance of the modes, so the doubt about s widens the intervals.
    `prior_sd` of the result is the posterior mean of s.
    """
    validate(data, DEFAULT_PRIOR_SD)
    with_bias = (
        position_bias_is_estimable(data)
        if estimate_position_bias is None
        else estimate_position_bias
    )
    modes = _modes_over_spreads(data, with_bias, 0.0, range(SPREAD_GRID.size))
    window = _lapse_window(modes)
    for lapse in (value for value in lapses if value > 0.0):
        modes += _modes_over_spreads(data, with_bias, lapse, window)
    log_weight = np.array([evidence + np.log(spread) for _, _, _, evidence, spread in modes])
    weights = np.exp(log_weight - log_weight.max())
    weights /= weights.sum()
    kept = [
        (weight, summarise(design, params, iterations, spread))
        for (design, params, iterations, _, spread), weight in zip(modes, weights, strict=True)
        if weight >= MIN_SPREAD_WEIGHT
    ]
    spreads = np.array([spread for *_, spread in modes])
    return _mixture(kept, float(np.dot(weights, spreads)))


Mode = tuple[Design, FloatArray, int, float, float]


def _lapse_window(modes: list[Mode]) -> range:
    """The grid spreads worth fitting with a lapse: those the lapse-free fit supports, and wider.

    A lapse explains upsets, so it supports wider spreads than the lapse-free fit, never
    narrower ones.
    """
    log_weight = np.array([evidence + np.log(spread) for *_, evidence, spread in modes])
    supported = np.flatnonzero(log_weight >= log_weight.max() - LAPSE_WINDOW_LOG_WEIGHT)
    return range(int(supported[0]), min(int(supported[-1]) + LAPSE_WINDOW_WIDER + 1, len(modes)))


def _modes_over_spreads(
    data: ComparisonData, with_bias: bool, lapse: float, indices: range
) -> list[Mode]:
    """Mode, iterations, log evidence and spread at grid spreads (warm-started fits).

    With a lapse the posterior can have two modes for an essay with an upset (a wide prior
    lets the lapse or a far score explain it); a fit that does not settle is left out.
    """
    modes = []
    start = np.zeros(data.n_items + int(with_bias))
    for spread in SPREAD_GRID[indices.start : indices.stop]:
        design = design_of(data, float(spread), with_bias, lapse)
        try:
            params, iterations = newton(design, 1e-9, 100, start=start)
        except FitError:
            if lapse == 0.0:
                raise
            continue
        start = params
        modes.append((design, params, iterations, _log_evidence(design, params), float(spread)))
    return modes


def _mixture(kept: list[tuple[float, BradleyTerryFit]], spread: float) -> BradleyTerryFit:
    total = sum(weight for weight, _ in kept)
    parts = [(weight / total, fit) for weight, fit in kept]
    weights = np.array([weight for weight, _ in parts])
    modes = np.stack([fit.scores for _, fit in parts])
    scores: FloatArray = weights @ modes
    spread_of_modes = (modes - scores).T @ ((modes - scores) * weights[:, None])
    covariance: FloatArray = (
        np.tensordot(weights, np.stack([fit.covariance for _, fit in parts]), axes=1)
        + spread_of_modes
    )
    bias = _mixed_bias(parts)
    ses = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    iterations = sum(fit.iterations for _, fit in parts)
    lapse = float(sum(weight * fit.lapse for weight, fit in parts))
    return BradleyTerryFit(scores, ses, covariance, *bias, iterations, spread, lapse)


def _mixed_bias(parts: list[tuple[float, BradleyTerryFit]]) -> tuple[float | None, float | None]:
    if parts[0][1].position_bias is None:
        return None, None
    mean = sum(weight * float(fit.position_bias or 0.0) for weight, fit in parts)
    second = sum(
        weight * (float(fit.position_bias_se or 0.0) ** 2 + float(fit.position_bias or 0.0) ** 2)
        for weight, fit in parts
    )
    return mean, float(np.sqrt(max(second - mean**2, 0.0)))


def _log_evidence(design: Design, params: FloatArray) -> float:
    factor, info = dpotrf(hessian(design, params), lower=True, clean=True)
    if info != 0:
        raise FitError("information matrix is not positive definite")
    log_det = 2.0 * float(np.sum(np.log(np.diag(factor))))
    return (
        -objective(design, params) + 0.5 * float(np.sum(np.log(design.precision))) - (0.5 * log_det)
    )
