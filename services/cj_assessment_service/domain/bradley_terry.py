"""Bradley-Terry scoring: penalised maximum likelihood, mean-centred, with Fisher-information SEs.

The model: P(the essay shown as "Essay A" wins) = logistic(theta_A - theta_B + delta), where delta
is the judge's position bias. A Gaussian prior N(0, prior_sd^2) on every theta keeps the fit finite
when an essay wins or loses everything. Because every comparison's gradient sums to zero over the
thetas, the penalised optimum is mean-centred by construction, and the standard errors come from
the covariance of the centred parameters (no reference essay with SE 0).

What the service reports is `cohort_spread.fit_scores(data)`: the cohort's spread is not
assumed but inferred from the judgements. A fixed prior shrinks a wide cohort too much and lets a
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
STALL_GRADIENT = 1e-6


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
    lapse: float = 0.0  # share of judgements taken to be coin flips (posterior mean)


@dataclass(frozen=True)
class Design:
    data: ComparisonData
    with_bias: bool
    precision: FloatArray  # prior precision per parameter
    # P(A wins) = lapse / 2 + (1 - lapse) * logistic(eta): a share of judgements that ignore the
    # essays (a distracted or erratic judge). Without it an upset between distant essays drags
    # the whole scale in and the intervals miss at the extremes.
    lapse: float = 0.0

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
    validate(data, prior_sd)
    with_bias = (
        position_bias_is_estimable(data)
        if estimate_position_bias is None
        else estimate_position_bias
    )
    design = design_of(data, prior_sd, with_bias)
    params, iterations = newton(design, tolerance, max_iterations)
    return summarise(design, params, iterations, prior_sd)


def validate(data: ComparisonData, prior_sd: float) -> None:
    if data.n_items < 2:
        raise FitError("at least two items are needed")
    if not prior_sd > 0:
        raise FitError("prior_sd must be positive")
    indices = np.concatenate([data.first, data.second])
    if indices.size and (indices.min() < 0 or indices.max() >= data.n_items):
        raise FitError("comparison refers to an unknown item")
    if np.any(data.first == data.second):
        raise FitError("an item cannot be compared with itself")


def design_of(data: ComparisonData, prior_sd: float, with_bias: bool, lapse: float = 0.0) -> Design:
    precision = np.full(data.n_items + int(with_bias), 1.0 / prior_sd**2)
    if with_bias:
        precision[-1] = 1.0 / POSITION_BIAS_PRIOR_SD**2
    return Design(data, with_bias, precision, lapse)


def _linear_predictor(design: Design, params: FloatArray) -> FloatArray:
    data = design.data
    eta = params[data.first] - params[data.second]
    return eta + params[-1] if design.with_bias else eta


def objective(design: Design, params: FloatArray) -> float:
    eta = _linear_predictor(design, params)
    signed = np.where(design.data.first_won, eta, -eta)
    if design.lapse > 0.0:
        log_likelihood = np.log(0.5 * design.lapse + (1.0 - design.lapse) * expit(signed))
    else:
        log_likelihood = log_expit(signed)
    return float(-np.sum(log_likelihood) + 0.5 * np.sum(design.precision * params**2))


def _score_terms(
    design: Design, params: FloatArray, clip: bool = True
) -> tuple[FloatArray, FloatArray]:
    """Per comparison: d log-likelihood / d eta, and the curvature -d^2 log-likelihood / d eta^2.

    Without a lapse the curvature is p(1 - p) whatever the outcome. With one it depends on the
    outcome and is negative for an upset (the lapse explains it); `clip` sets it to 0 there, so
    the matrix is positive definite whatever the point.
    """
    p = expit(_linear_predictor(design, params))
    slope = p * (1.0 - p)
    if design.lapse == 0.0:
        return design.data.first_won - p, slope
    won, keep = design.data.first_won, 1.0 - design.lapse
    f = np.where(won, 0.5 * design.lapse + keep * p, 0.5 * design.lapse + keep * (1.0 - p))
    d_f = np.where(won, keep * slope, -keep * slope)  # d f / d eta for the observed outcome
    d2_f = np.where(won, 1.0, -1.0) * keep * slope * (1.0 - 2.0 * p)
    curvature = (d_f**2 - f * d2_f) / f**2
    return d_f / f, np.clip(curvature, 0.0, None) if clip else curvature


def _gradient(design: Design, params: FloatArray) -> FloatArray:
    data = design.data
    residual, _ = _score_terms(design, params)
    grad = np.zeros(design.size)
    grad[: data.n_items] = np.bincount(data.first, residual, data.n_items) - np.bincount(
        data.second, residual, data.n_items
    )
    if design.with_bias:
        grad[-1] = residual.sum()
    return grad - design.precision * params


def information(design: Design, params: FloatArray, clip: bool = True) -> FloatArray:
    """Observed information of the comparisons plus the prior precision (see _score_terms)."""
    data, n = design.data, design.data.n_items
    _, weight = _score_terms(design, params, clip)
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


def newton(
    design: Design, tolerance: float, max_iterations: int, start: FloatArray | None = None
) -> tuple[FloatArray, int]:
    """Newton's method that keeps its Cholesky factor while the gradient still shrinks fast.

    Refactoring the information matrix costs O(n^3); a step with the previous factor costs
    O(n^2). Near the optimum the matrix barely changes, so the old factor converges almost as
    fast; it is refreshed whenever the gradient shrank by less than REFRESH_RATIO in a step.
    """
    params = np.zeros(design.size) if start is None else start.copy()
    value = objective(design, params)
    factor = cho_factor(hessian(design, params))
    previous = np.inf
    for iteration in range(1, max_iterations + 1):
        gradient = _gradient(design, params)
        size = float(np.max(np.abs(gradient)))
        if size < tolerance:
            return params, iteration
        if size > REFRESH_RATIO * previous or design.lapse > 0.0:
            factor = cho_factor(hessian(design, params))
        step = cho_solve(factor, gradient)
        params, new_value = _damped_update(design, params, step, value)
        previous, gain, value = size, value - new_value, new_value
        if np.max(np.abs(step)) < tolerance or _stalled(design, gain, value, size):
            return params, iteration
    raise FitError(f"Bradley-Terry fit did not converge in {max_iterations} iterations")


def hessian(design: Design, params: FloatArray) -> FloatArray:
    """The objective's Hessian; with a lapse, the clipped information where it is indefinite."""
    if design.lapse > 0.0:
        exact = information(design, params, clip=False)
        if dpotrf(exact, lower=True, clean=True)[1] == 0:
            return exact
    return information(design, params)


def _stalled(design: Design, gain: float, value: float, gradient_size: float) -> bool:
    # With a lapse the clipped curvature is not the exact Hessian: near the optimum a step can
    # creep around it at the rounding level of the objective, so a fit that no longer gains is done.
    return (
        design.lapse > 0.0 and gain <= 1e-12 * (1.0 + abs(value)) and gradient_size < STALL_GRADIENT
    )


def _damped_update(
    design: Design, params: FloatArray, step: FloatArray, value: float
) -> tuple[FloatArray, float]:
    # The step solves with a positive definite matrix, so it points downhill and a halved step
    # always decreases the objective eventually (convex without a lapse, not always with one).
    scale = 1.0
    for _ in range(40):
        candidate = params + scale * step
        candidate_value = objective(design, candidate)
        if candidate_value <= value + 1e-12:
            return candidate, candidate_value
        scale /= 2.0
    return params, value


def summarise(
    design: Design, params: FloatArray, iterations: int, prior_sd: float
) -> BradleyTerryFit:
    n = design.data.n_items
    full = _inverse(hessian(design, params))
    covariance = _centred(full[:n, :n])
    scores = params[:n] - params[:n].mean()
    bias, bias_se = (
        (float(params[-1]), float(np.sqrt(full[-1, -1]))) if design.with_bias else (None, None)
    )
    ses = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    return BradleyTerryFit(
        scores, ses, covariance, bias, bias_se, iterations, prior_sd, design.lapse
    )


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
