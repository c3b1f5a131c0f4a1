"""Split-half reliability: how well two independent halves of the judgements agree.

It needs no model of the errors: the comparisons are split at random into two halves, each half
is fitted on its own, and the correlation r of the two score sets, stepped up to the full number
of judgements (Spearman-Brown, 2r / (1 + r)), estimates the reliability of the full fit. It is
reported beside the model-based reliability as a check on it; the halves are averaged over a few
splits because one split is noisy.
"""

import numpy as np

from services.cj_assessment_service.domain.bradley_terry import ComparisonData
from services.cj_assessment_service.domain.cohort_spread import fit_scores

SPLITS = 4
SPLIT_SEED = 20261208  # fixed, so the same judgements always give the same figure


def split_half_reliability(
    data: ComparisonData, prior_sd: float | None = None, splits: int = SPLITS
) -> float | None:
    """The halves' mean correlation over `splits` random splits, stepped up; None if too few.

    The correlations are averaged before the step-up and before clipping at 0, so pure noise
    averages near 0 instead of being pushed up by the clipped negative ones.
    """
    if data.n_items < 3 or data.size < 2 * data.n_items:
        return None
    rng = np.random.default_rng(SPLIT_SEED)
    correlations = []
    for _ in range(splits):
        order = rng.permutation(data.size)
        halves = order[: data.size // 2], order[data.size // 2 :]
        first, second = (fit_scores(_subset(data, half), prior_sd).scores for half in halves)
        correlations.append(_correlation(first, second))
    r = max(float(np.mean(correlations)), 0.0)
    return 2.0 * r / (1.0 + r)


def _subset(data: ComparisonData, rows: np.ndarray) -> ComparisonData:
    return ComparisonData(data.n_items, data.first[rows], data.second[rows], data.first_won[rows])


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if np.std(a) == 0.0 or np.std(b) == 0.0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])
