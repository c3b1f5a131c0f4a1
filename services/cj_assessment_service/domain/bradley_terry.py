"""Bradley-Terry scoring: penalised maximum likelihood, mean-centred, with Fisher-information SEs.

The model: P(the essay shown as "Essay A" wins) = logistic(theta_A - theta_B + delta), where delta
is the judge's position bias. A Gaussian prior N(0, prior_sd^2) on every theta keeps the fit finite
when an essay wins or loses everything. Because every comparison's gradient sums to zero over the
thetas, the penalised optimum is mean-centred by construction, and the standard errors come from
the covariance of the centred parameters (no reference essay with SE 0).

`fit_scores(data)` is what the service reports: the cohort's spread is not assumed but inferred
from the judgements (`fit_hierarchical`). A fixed prior shrinks a wide cohort too much and lets a
homogeneous one spread too far, and under adaptive pairing either makes the intervals and the
reliability dishonest.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve  # type: ignore[import-untyped]
from scipy.linalg.lapack import dpotrf, dpotri  # type: ignore[import-untyped]
from scipy.special import expit, log_expit  # type: ignore[import-untyped]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

DEFAULT_PRIOR_SD = 2.0
POSITION_BIAS_PRIOR_SD = 1.0
MIN_COMPARISONS_FOR_POSITION_BIAS = 30
MIN_WINS_PER_POSITION = 5
REFRESH_RATIO = 0.25
# The cohort's spread (sd of the abilities, logits) is integrated over this grid: below it essays
# are indistinguishable at any realistic number of comparisons, above it every comparison is a
# foregone conclusion.
SPREAD_GRID = np.exp(np.linspace(np.log(0.05), np.log(8.0), 25))
MIN_SPREAD_WEIGHT = 1e-4  # grid points with less posterior weight than this are left out


class FitError(ValueError):
    pass


@dataclass(frozen=True)
class ComparisonData:
    """Completed comparisons: essay indices shown first ("Essay A") and second, and who won."""

    n_items: int
    first: IntArray
    second: IntArray
    first_won: BoolArray

    @classmethod
    def from_triples(cls, n_items: int, triples: list[tuple[int, int, bool]]) -> "ComparisonData":
        array = np.array([(a, b, int(won)) for a, b, won in triples], dtype=np.int64)
        array = array.reshape(-1, 3)
        return cls(n_items, array[:, 0], array[:, 1], array[:, 2].astype(bool))

    @property
    def size(self) -> int:
        return int(self.first.shape[0])

    def counts(self) -> IntArray:
        both = np.concatenate([self.first, self.second])
        return np.bincount(both, minlength=self.n_items).astype(np.int64)


@dataclass(frozen=True)
class BradleyTerryFit:
    scores: FloatArray
    standard_errors: FloatArray
    covariance: FloatArray  # of the mean-centred scores
    position_bias: float | None
    position_bias_se: float | None
    iterations: int
    prior_sd: float


@dataclass(frozen=True)
class _Design:
    data: ComparisonData
    with_bias: bool
    precision: FloatArray  # prior precision per parameter

    @property
    def size(self) -> int:
        return self.data.n_items + int(self.with_bias)


def position_bias_is_estimable(data: ComparisonData) -> bool:
    first_wins = int(np.count_nonzero(data.first_won))
    second_wins = data.size - first_wins
    return data.size >= MIN_COMPARISONS_FOR_POSITION_BIAS and (
        min(first_wins, second_wins) >= MIN_WINS_PER_POSITION
    )


def fit_bradley_terry(
    data: ComparisonData,
    *,
    prior_sd: float = DEFAULT_PRIOR_SD,
    estimate_position_bias: bool | None = None,
    tolerance: float = 1e-9,
    max_iterations: int = 100,
) -> BradleyTerryFit:
    _validate(data, prior_sd)
    with_bias = (
        position_bias_is_estimable(data)
        if estimate_position_bias is None
        else estimate_position_bias
    )
    design = _design(data, prior_sd, with_bias)
    params, iterations = _newton(design, tolerance, max_iterations)
    return _summarise(design, params, iterations, prior_sd)


def fit_scores(data: ComparisonData, prior_sd: float | None = None) -> BradleyTerryFit:
    """The service's fit: the cohort's spread inferred (`prior_sd=None`), or a fixed prior."""
    if prior_sd is None:
        return fit_hierarchical(data)
    return fit_bradley_terry(data, prior_sd=prior_sd)


def fit_hierarchical(
    data: ComparisonData, *, estimate_position_bias: bool | None = None
) -> BradleyTerryFit:
    """Scores and their covariance averaged over the cohort's spread, as the judgements support it.

    The abilities are N(0, s^2) with s uniform over SPREAD_GRID's range. For each grid value the
    penalised fit gives the mode and the Laplace approximation of the evidence p(y | s); the
    result is the evidence-weighted mixture: the mean of the modes, and the mean of the
    covariances plus the covariance of the modes, so the doubt about s widens the intervals.
    `prior_sd` of the result is the posterior mean of s.
    """
    _validate(data, DEFAULT_PRIOR_SD)
    with_bias = (
        position_bias_is_estimable(data)
        if estimate_position_bias is None
        else estimate_position_bias
    )
    modes = _modes_over_spreads(data, with_bias)
    log_weight = np.array([evidence for *_, evidence in modes]) + np.log(SPREAD_GRID)
    weights = np.exp(log_weight - log_weight.max())
    weights /= weights.sum()
    kept = [
        (weight, _summarise(design, params, iterations, float(spread)))
        for (design, params, iterations, _), weight, spread in zip(
            modes, weights, SPREAD_GRID, strict=True
        )
        if weight >= MIN_SPREAD_WEIGHT
    ]
    return _mixture(kept, float(np.dot(weights, SPREAD_GRID)))


def _modes_over_spreads(
    data: ComparisonData, with_bias: bool
) -> list[tuple[_Design, FloatArray, int, float]]:
    """The mode, Newton iterations and log evidence at each grid spread (warm-started fits)."""
    modes = []
    start = np.zeros(data.n_items + int(with_bias))
    for spread in SPREAD_GRID:
        design = _design(data, float(spread), with_bias)
        start, iterations = _newton(design, 1e-9, 100, start=start)
        modes.append((design, start, iterations, _log_evidence(design, start)))
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
    return BradleyTerryFit(scores, ses, covariance, *bias, iterations, spread)


def _mixed_bias(parts: list[tuple[float, BradleyTerryFit]]) -> tuple[float | None, float | None]:
    if parts[0][1].position_bias is None:
        return None, None
    mean = sum(weight * float(fit.position_bias or 0.0) for weight, fit in parts)
    second = sum(
        weight * (float(fit.position_bias_se or 0.0) ** 2 + float(fit.position_bias or 0.0) ** 2)
        for weight, fit in parts
    )
    return mean, float(np.sqrt(max(second - mean**2, 0.0)))


def _log_evidence(design: _Design, params: FloatArray) -> float:
    factor, info = dpotrf(information(design, params), lower=True, clean=True)
    if info != 0:
        raise FitError("information matrix is not positive definite")
    log_det = 2.0 * float(np.sum(np.log(np.diag(factor))))
    return (
        -_objective(design, params)
        + 0.5 * float(np.sum(np.log(design.precision)))
        - (0.5 * log_det)
    )


def _validate(data: ComparisonData, prior_sd: float) -> None:
    if data.n_items < 2:
        raise FitError("at least two items are needed")
    if not prior_sd > 0:
        raise FitError("prior_sd must be positive")
    indices = np.concatenate([data.first, data.second])
    if indices.size and (indices.min() < 0 or indices.max() >= data.n_items):
        raise FitError("comparison refers to an unknown item")
    if np.any(data.first == data.second):
        raise FitError("an item cannot be compared with itself")


def _design(data: ComparisonData, prior_sd: float, with_bias: bool) -> _Design:
    precision = np.full(data.n_items + int(with_bias), 1.0 / prior_sd**2)
    if with_bias:
        precision[-1] = 1.0 / POSITION_BIAS_PRIOR_SD**2
    return _Design(data, with_bias, precision)


def _linear_predictor(design: _Design, params: FloatArray) -> FloatArray:
    data = design.data
    eta = params[data.first] - params[data.second]
    return eta + params[-1] if design.with_bias else eta


def _objective(design: _Design, params: FloatArray) -> float:
    eta = _linear_predictor(design, params)
    signed = np.where(design.data.first_won, eta, -eta)
    return float(-np.sum(log_expit(signed)) + 0.5 * np.sum(design.precision * params**2))


def _gradient(design: _Design, params: FloatArray) -> FloatArray:
    data = design.data
    residual = data.first_won - expit(_linear_predictor(design, params))
    grad = np.zeros(design.size)
    grad[: data.n_items] = np.bincount(data.first, residual, data.n_items) - np.bincount(
        data.second, residual, data.n_items
    )
    if design.with_bias:
        grad[-1] = residual.sum()
    return grad - design.precision * params


def information(design: _Design, params: FloatArray) -> FloatArray:
    """Fisher information of the comparisons plus the prior precision."""
    data, n = design.data, design.data.n_items
    p = expit(_linear_predictor(design, params))
    weight = p * (1.0 - p)
    matrix = np.diag(design.precision.copy())
    cross = np.bincount(data.first * n + data.second, weight, n * n).reshape(n, n)
    matrix[:n, :n] -= cross + cross.T
    matrix[np.arange(n), np.arange(n)] += np.bincount(data.first, weight, n) + np.bincount(
        data.second, weight, n
    )
    if design.with_bias:
        edge = np.bincount(data.first, weight, n) - np.bincount(data.second, weight, n)
        matrix[:n, -1] = matrix[-1, :n] = edge
        matrix[-1, -1] += weight.sum()
    return matrix


def _newton(
    design: _Design, tolerance: float, max_iterations: int, start: FloatArray | None = None
) -> tuple[FloatArray, int]:
    """Newton's method that keeps its Cholesky factor while the gradient still shrinks fast.

    Refactoring the information matrix costs O(n^3); a step with the previous factor costs
    O(n^2). Near the optimum the matrix barely changes, so the old factor converges almost as
    fast; it is refreshed whenever the gradient shrank by less than REFRESH_RATIO in a step.
    """
    params = np.zeros(design.size) if start is None else start.copy()
    value = _objective(design, params)
    factor = cho_factor(information(design, params))
    previous = np.inf
    for iteration in range(1, max_iterations + 1):
        gradient = _gradient(design, params)
        size = float(np.max(np.abs(gradient)))
        if size < tolerance:
            return params, iteration
        if size > REFRESH_RATIO * previous:
            factor = cho_factor(information(design, params))
        step = cho_solve(factor, gradient)
        params, value = _damped_update(design, params, step, value)
        previous = size
        if np.max(np.abs(step)) < tolerance:
            return params, iteration
    raise FitError(f"Bradley-Terry fit did not converge in {max_iterations} iterations")


def _damped_update(
    design: _Design, params: FloatArray, step: FloatArray, value: float
) -> tuple[FloatArray, float]:
    # The objective is strictly convex, so a halved Newton step always decreases it eventually.
    scale = 1.0
    for _ in range(40):
        candidate = params + scale * step
        candidate_value = _objective(design, candidate)
        if candidate_value <= value + 1e-12:
            return candidate, candidate_value
        scale /= 2.0
    return params, value


def _summarise(
    design: _Design, params: FloatArray, iterations: int, prior_sd: float
) -> BradleyTerryFit:
    n = design.data.n_items
    full = _inverse(information(design, params))
    covariance = _centred(full[:n, :n])
    scores = params[:n] - params[:n].mean()
    bias, bias_se = (
        (float(params[-1]), float(np.sqrt(full[-1, -1]))) if design.with_bias else (None, None)
    )
    ses = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    return BradleyTerryFit(scores, ses, covariance, bias, bias_se, iterations, prior_sd)


def _inverse(matrix: FloatArray) -> FloatArray:
    """Inverse of a symmetric positive definite matrix from its Cholesky factor (LAPACK potri)."""
    factor, info = dpotrf(matrix, lower=True, clean=True)
    if info == 0:
        inverse, info = dpotri(factor, lower=True)
    if info != 0:
        raise FitError("information matrix is not positive definite")
    full: FloatArray = np.tril(inverse) + np.tril(inverse, -1).T
    return full


def _centred(covariance: FloatArray) -> FloatArray:
    # Covariance of theta - mean(theta): C @ Sigma @ C with C = I - 11'/n.
    row_means = covariance.mean(axis=1, keepdims=True)
    centred: FloatArray = covariance - row_means - row_means.T + covariance.mean()
    return centred
