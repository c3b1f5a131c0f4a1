"""Pair selection: coverage rounds (every essay once, balanced positions, no repeated pair), then
adaptive rounds that pick the pairs whose order is most in doubt and most informative."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from services.cj_assessment_service.domain.bradley_terry import FloatArray

COVERAGE_MATCHING_ATTEMPTS = 8


@dataclass(frozen=True)
class PlannedPair:
    first: int  # shown as "Essay A"
    second: int  # shown as "Essay B"


def pair_key(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


@dataclass
class PairingHistory:
    """What has been asked so far: counts, position balance (A minus B) and pairs already used."""

    n_items: int
    counts: list[int] = field(default_factory=list)
    balance: list[int] = field(default_factory=list)
    pairs: Counter[tuple[int, int]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.counts = self.counts or [0] * self.n_items
        self.balance = self.balance or [0] * self.n_items

    def record(self, pair: PlannedPair) -> None:
        self.counts[pair.first] += 1
        self.counts[pair.second] += 1
        self.balance[pair.first] += 1
        self.balance[pair.second] -= 1
        self.pairs[pair_key(pair.first, pair.second)] += 1

    def exclude(self, pair: PlannedPair) -> None:
        """A pair that could not be judged: not asked again while other pairs remain."""
        self.pairs[pair_key(pair.first, pair.second)] += 1

    def record_all(self, pairs: list[PlannedPair]) -> None:
        for pair in pairs:
            self.record(pair)


def planned_budget(n_items: int, per_essay: int, hard_cap: int) -> int:
    """A comparison involves two essays: n essays x k comparisons each is n*k/2 comparisons."""
    return min(math.ceil(n_items * per_essay / 2), hard_cap)


def orient(i: int, j: int, history: PairingHistory, rng: random.Random) -> PlannedPair:
    """Show first the essay that has been "Essay A" less often, so positions stay balanced."""
    if history.balance[i] == history.balance[j]:
        return PlannedPair(i, j) if rng.random() < 0.5 else PlannedPair(j, i)
    return PlannedPair(i, j) if history.balance[i] < history.balance[j] else PlannedPair(j, i)


def coverage_round(
    history: PairingHistory, rng: random.Random, limit: int | None = None
) -> list[PlannedPair]:
    """A matching of unused pairs that includes as many essays as possible, least-compared first."""
    best: list[tuple[int, int]] = []
    for _ in range(COVERAGE_MATCHING_ATTEMPTS):
        matching = _random_matching(history, rng)
        if len(matching) > len(best):
            best = matching
        if 2 * len(best) >= history.n_items - 1:
            break
    return _finalise(best, history, rng, limit)


def _random_matching(history: PairingHistory, rng: random.Random) -> list[tuple[int, int]]:
    order = sorted(
        range(history.n_items),
        key=lambda i: (history.counts[i], -abs(history.balance[i]), rng.random()),
    )
    free = set(order)
    matching = []
    for item in order:
        if item not in free:
            continue
        free.discard(item)
        partners = [other for other in free if pair_key(item, other) not in history.pairs]
        if partners:
            partner = _balancing_partner(item, partners, history, rng)
            free.discard(partner)
            matching.append((item, partner))
    return matching


def _balancing_partner(
    item: int, partners: list[int], history: PairingHistory, rng: random.Random
) -> int:
    """A random partner among those whose A/B balance differs most, so orienting evens both."""
    gaps = [abs(history.balance[item] - history.balance[other]) for other in partners]
    widest = max(gaps)
    return rng.choice([other for other, gap in zip(partners, gaps, strict=True) if gap == widest])


def _finalise(
    matching: list[tuple[int, int]],
    history: PairingHistory,
    rng: random.Random,
    limit: int | None,
) -> list[PlannedPair]:
    chosen = matching if limit is None else matching[:limit]
    pairs = []
    for i, j in chosen:
        pair = orient(i, j, history, rng)
        history.record(pair)
        pairs.append(pair)
    return pairs


def pair_utilities(scores: FloatArray, covariance: FloatArray) -> FloatArray:
    """How much one more comparison of i and j is expected to tell about the order of all pairs.

    A comparison of i and j (Fisher weight w = p(1-p) at the current estimate, v = Var(d_ij))
    removes w / (1 + w v) (c_k - c_l)^2 from Var(d_kl), with c = covariance @ (e_i - e_j). Every
    pair (k, l) counts its share of that variance, weighted by the normal density of
    d_kl / sqrt(Var(d_kl)) so that pairs whose order is still in doubt count most. For (i, j)
    alone this is close to log(1 + w v) times the order doubt; the other pairs credit what the
    comparison tells about i's and j's neighbours. The sum over all pairs is c' L c for the
    Laplacian L of the pair weights: one product of n x n matrices covers every candidate.
    """
    difference = scores[:, None] - scores[None, :]
    weight = 0.25 / np.cosh(difference / 2.0) ** 2  # p(1-p) for p = logistic(difference)
    variance = _difference_variances(covariance)
    doubt = np.exp(-(difference**2) / (2.0 * variance)) / variance
    np.fill_diagonal(doubt, 0.0)
    laplacian = np.diag(doubt.sum(axis=1)) - doubt
    removed = _difference_variances(covariance @ laplacian @ covariance)
    return np.asarray(weight / (1.0 + weight * variance) * removed)


def _difference_variances(covariance: FloatArray) -> FloatArray:
    """Var(x_i - x_j) for every pair, from the covariance of x."""
    diag = np.diag(covariance)
    return np.maximum(diag[:, None] + diag[None, :] - 2.0 * covariance, 1e-12)


def adaptive_round(
    history: PairingHistory,
    scores: FloatArray,
    covariance: FloatArray,
    rng: random.Random,
    *,
    limit: int,
    min_comparisons: int = 0,
) -> list[PlannedPair]:
    """The most informative pairs, each essay at most once; under-compared essays first.

    Picked one at a time: after each pick the covariance is updated as if that comparison had
    been made (its Fisher information, whatever its outcome), so the rest of the round goes
    where doubt remains instead of piling onto the same uncertain region.
    """
    expected = np.array(covariance, dtype=float, copy=True)
    candidates = _Candidates.of(history, min_comparisons)
    matching: list[tuple[int, int]] = []
    while len(matching) < limit:
        pick = candidates.best(pair_utilities(scores, expected))
        if pick is None:
            break
        matching.append(pick)
        add_expected_comparison(expected, scores, *pick)
    return _finalise(matching, history, rng, None)


def add_expected_comparison(covariance: FloatArray, scores: FloatArray, i: int, j: int) -> None:
    """Rank-one update of the covariance by one comparison of i and j (Sherman-Morrison)."""
    column = covariance[:, i] - covariance[:, j]
    variance = max(float(column[i] - column[j]), 1e-12)
    weight = 0.25 / math.cosh((float(scores[i]) - float(scores[j])) / 2.0) ** 2
    covariance -= (weight / (1.0 + weight * variance)) * np.outer(column, column)


@dataclass
class _Candidates:
    """The pairs a round may still pick, as flat arrays over the upper triangle.

    Order of preference: a pair with an under-compared essay, then the fewest repeats (pairs are
    asked again only once every pair has been asked), then the highest utility; ties go to the
    first pair in row order. Picking clears both essays' pairs for the rest of the round.
    """

    rows: npt.NDArray[np.intp]
    cols: npt.NDArray[np.intp]
    repeats: npt.NDArray[np.int64]
    urgent: npt.NDArray[np.bool_]
    open: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, history: PairingHistory, min_comparisons: int) -> _Candidates:
        n = history.n_items
        rows, cols = np.triu_indices(n, k=1)
        repeat_matrix = np.zeros((n, n), dtype=np.int64)
        for (i, j), count in history.pairs.items():
            repeat_matrix[i, j] = count
        repeats = repeat_matrix[rows, cols]
        every_pair_asked = len(history.pairs) >= n * (n - 1) // 2
        counts = np.asarray(history.counts)
        urgent = (counts[rows] < min_comparisons) | (counts[cols] < min_comparisons)
        allowed = np.ones(rows.shape, dtype=bool) if every_pair_asked else repeats == 0
        return cls(rows, cols, repeats, urgent, allowed)

    def best(self, utilities: FloatArray) -> tuple[int, int] | None:
        choice = self.open.copy()
        if not choice.any():
            return None
        if (choice & self.urgent).any():
            choice &= self.urgent
        choice &= self.repeats == self.repeats[choice].min()
        values = np.where(choice, utilities[self.rows, self.cols], -np.inf)
        k = int(np.argmax(values))
        i, j = int(self.rows[k]), int(self.cols[k])
        self.open &= (self.rows != i) & (self.rows != j) & (self.cols != i) & (self.cols != j)
        return i, j
