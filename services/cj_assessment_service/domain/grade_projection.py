"""Grade projection from anchor essays: monotone boundaries on the score scale, then a probability
for every grade.

`project_jointly` is what the service reports. The boundaries come from the anchors' scores, which
are as uncertain as any essay's, and correlated with them (they are in the same fit). So the
probabilities are taken over joint draws of every score from the fit's covariance: each draw fits
its own boundaries from its anchor scores and places each essay. The projected grade is the band
that holds the median of an essay's grade, not the most probable band: bands have unequal widths
(the top and bottom ones are open), so the mode favours a wide band whenever the error is wide.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr  # type: ignore[import-untyped]

from common_core.domain_enums import GradeConfidence
from common_core.grade_scales import GradeScale

MIN_CENTRE_STEP = 0.1  # logits between successive grade centres, so no grade band is empty
MIN_STANDARD_ERROR = 1e-6
PROJECTION_DRAWS = 2000
DRAW_SEED = 20260301  # fixed, so the same judgements always give the same projections
HIGH_CONFIDENCE = 0.75
MEDIUM_CONFIDENCE = 0.5


class ProjectionError(ValueError):
    pass


@dataclass(frozen=True)
class AnchorScore:
    grade: str
    score: float


@dataclass(frozen=True)
class GradeBoundaries:
    scale: GradeScale
    centres: tuple[float, ...]  # one per grade, lowest grade first
    upper_bounds: tuple[float, ...]  # boundary between grade k and k+1


@dataclass(frozen=True)
class GradeProjection:
    grade: str
    probability: float
    confidence: GradeConfidence
    probabilities: dict[str, float]


def can_project(scale: GradeScale, anchors: Sequence[AnchorScore]) -> bool:
    return len({a.grade for a in anchors if a.grade in scale.grades}) >= 2


def fit_boundaries(scale: GradeScale, anchors: Sequence[AnchorScore]) -> GradeBoundaries:
    if not can_project(scale, anchors):
        raise ProjectionError("anchors of at least two distinct grades are needed")
    ranks, means, weights = _grade_means(scale, anchors)
    monotone = _pool_adjacent_violators(means, weights)
    centres = _spread(_all_centres(len(scale.grades), ranks, monotone))
    bounds = (centres[:-1] + centres[1:]) / 2.0
    return GradeBoundaries(scale, tuple(map(float, centres)), tuple(map(float, bounds)))


def _grade_means(
    scale: GradeScale, anchors: Sequence[AnchorScore]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    by_rank: dict[int, list[float]] = {}
    for anchor in anchors:
        if anchor.grade in scale.grades:
            by_rank.setdefault(scale.rank(anchor.grade), []).append(anchor.score)
    ranks = np.array(sorted(by_rank), dtype=float)
    means = np.array([np.mean(by_rank[int(r)]) for r in ranks])
    weights = np.array([len(by_rank[int(r)]) for r in ranks], dtype=float)
    return ranks, means, weights


def _pool_adjacent_violators(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted isotonic (non-decreasing) regression."""
    blocks: list[list[float]] = []  # [mean, weight, size]
    for value, weight in zip(values, weights, strict=True):
        blocks.append([float(value), float(weight), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean2, weight2, size2 = blocks.pop()
            mean1, weight1, size1 = blocks.pop()
            total = weight1 + weight2
            blocks.append([(mean1 * weight1 + mean2 * weight2) / total, total, size1 + size2])
    return np.concatenate([np.full(int(size), mean) for mean, _, size in blocks])


def _all_centres(n_grades: int, ranks: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Interpolate grades between anchored ones; extrapolate beyond them at the mean step."""
    step = max((centres[-1] - centres[0]) / (ranks[-1] - ranks[0]), MIN_CENTRE_STEP)
    every = np.arange(n_grades, dtype=float)
    inside = np.interp(every, ranks, centres)
    below = centres[0] - (ranks[0] - every) * step
    above = centres[-1] + (every - ranks[-1]) * step
    result: np.ndarray = np.where(
        every < ranks[0], below, np.where(every > ranks[-1], above, inside)
    )
    return result


def _spread(centres: np.ndarray) -> np.ndarray:
    spread = centres.copy()
    for k in range(1, spread.size):
        spread[k] = max(spread[k], spread[k - 1] + MIN_CENTRE_STEP)
    return spread


def grade_probabilities(
    boundaries: GradeBoundaries, score: float, standard_error: float
) -> dict[str, float]:
    se = max(standard_error, MIN_STANDARD_ERROR)
    cumulative = ndtr((np.asarray(boundaries.upper_bounds) - score) / se)
    edges = np.concatenate([[0.0], cumulative, [1.0]])
    mass = np.clip(np.diff(edges), 0.0, None)
    mass = mass / mass.sum()
    return dict(zip(boundaries.scale.grades, map(float, mass), strict=True))


def confidence_label(probability: float) -> GradeConfidence:
    if probability >= HIGH_CONFIDENCE:
        return GradeConfidence.HIGH
    if probability >= MEDIUM_CONFIDENCE:
        return GradeConfidence.MEDIUM
    return GradeConfidence.LOW


def project_grade(
    boundaries: GradeBoundaries, score: float, standard_error: float
) -> GradeProjection:
    probabilities = grade_probabilities(boundaries, score, standard_error)
    grade = max(probabilities, key=lambda g: probabilities[g])
    probability = probabilities[grade]
    return GradeProjection(grade, probability, confidence_label(probability), probabilities)


def project_jointly(
    scale: GradeScale,
    anchor_grades: dict[int, str],
    scores: np.ndarray,
    covariance: np.ndarray,
    draws: int = PROJECTION_DRAWS,
) -> list[GradeProjection]:
    """One projection per item (anchors included) from joint draws of all scores.

    `anchor_grades` maps an item's index to its known grade.
    """
    anchored = {i: g for i, g in anchor_grades.items() if g in scale.grades}
    if not can_project(scale, [AnchorScore(g, 0.0) for g in anchored.values()]):
        raise ProjectionError("anchors of at least two distinct grades are needed")
    sampled = _joint_draws(scores, covariance, draws)
    counts = np.zeros((scores.size, len(scale.grades)))
    rows = np.arange(scores.size)
    for draw in sampled:
        anchors = [AnchorScore(grade, float(draw[i])) for i, grade in anchored.items()]
        bounds = np.asarray(fit_boundaries(scale, anchors).upper_bounds)
        counts[rows, np.searchsorted(bounds, draw)] += 1.0
    return [_median_projection(scale, row / draws) for row in counts]


def _joint_draws(scores: np.ndarray, covariance: np.ndarray, draws: int) -> np.ndarray:
    # The centred covariance is singular along (1, ..., 1); its eigen-decomposition gives a square
    # root without the jitter a Cholesky factor would need.
    values, vectors = np.linalg.eigh((covariance + covariance.T) / 2.0)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    normal = np.random.default_rng(DRAW_SEED).standard_normal((draws, scores.size))
    result: np.ndarray = scores + normal @ root.T
    return result


def _median_projection(scale: GradeScale, shares: np.ndarray) -> GradeProjection:
    median = int(np.searchsorted(np.cumsum(shares), 0.5))
    median = min(median, len(scale.grades) - 1)
    probabilities = dict(zip(scale.grades, map(float, shares), strict=True))
    grade = scale.grades[median]
    probability = probabilities[grade]
    return GradeProjection(grade, probability, confidence_label(probability), probabilities)
