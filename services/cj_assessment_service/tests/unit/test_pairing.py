import random

import numpy as np
import pytest

from services.cj_assessment_service.domain.pairing import (
    PairingHistory,
    PlannedPair,
    adaptive_round,
    add_expected_comparison,
    coverage_round,
    pair_key,
    pair_utilities,
    planned_budget,
)


@pytest.mark.parametrize(
    ("n", "per_essay", "cap", "expected"),
    [(30, 10, 10_000, 150), (5, 3, 100, 8), (50, 20, 300, 300), (2, 1, 10, 1)],
)
def test_planned_budget(n: int, per_essay: int, cap: int, expected: int) -> None:
    assert planned_budget(n, per_essay, cap) == expected


@pytest.mark.parametrize("n", [2, 7, 30, 31])
def test_a_coverage_round_compares_every_essay_once(n: int) -> None:
    history = PairingHistory(n)
    pairs = coverage_round(history, random.Random(1))
    seen = [i for pair in pairs for i in (pair.first, pair.second)]
    assert len(seen) == len(set(seen))
    assert len(pairs) == n // 2
    assert history.counts == [seen.count(i) for i in range(n)]


def test_coverage_rounds_never_repeat_a_pair_and_keep_positions_balanced() -> None:
    history, rng = PairingHistory(30), random.Random(5)
    asked: list[PlannedPair] = []
    for _ in range(12):
        asked += coverage_round(history, rng)
    keys = [pair_key(p.first, p.second) for p in asked]
    assert len(keys) == len(set(keys))
    assert sum(history.balance) == 0
    assert max(map(abs, history.balance)) <= 2
    assert np.mean(np.abs(history.balance)) < 0.5
    assert min(history.counts) >= 11


def test_two_coverage_rounds_show_most_essays_once_in_each_position() -> None:
    history, rng = PairingHistory(40), random.Random(2)
    coverage_round(history, rng)
    coverage_round(history, rng)
    assert sum(b == 0 for b in history.balance) >= 36


def test_coverage_rounds_stop_when_every_pair_was_used() -> None:
    history, rng = PairingHistory(4), random.Random(0)
    used = []
    for _ in range(10):
        used += coverage_round(history, rng)
    assert len({pair_key(p.first, p.second) for p in used}) == len(used) == 6
    assert coverage_round(history, rng) == []


def test_a_coverage_round_respects_the_limit() -> None:
    assert len(coverage_round(PairingHistory(20), random.Random(0), limit=3)) == 3


def test_utilities_prefer_close_uncertain_pairs() -> None:
    scores = np.array([-3.0, -2.9, 0.0, 3.0])
    utilities = pair_utilities(scores, np.eye(4) * 0.5)
    assert utilities == pytest.approx(utilities.T)
    assert utilities[0, 1] > utilities[0, 2] > utilities[0, 3]
    tighter = pair_utilities(scores, np.eye(4) * 0.05)
    assert tighter[0, 1] < utilities[0, 1]


def test_an_adaptive_round_picks_the_most_informative_unused_pairs() -> None:
    history = PairingHistory(4)
    history.record(PlannedPair(0, 1))
    scores = np.array([-3.0, -2.9, 2.9, 3.0])
    pairs = adaptive_round(history, scores, np.eye(4) * 0.5, random.Random(0), limit=2)
    # (2, 3) is the closest unused pair; the only pair left for 0 and 1 was already asked.
    assert [pair_key(p.first, p.second) for p in pairs] == [(2, 3)]


def test_an_adaptive_round_uses_each_essay_at_most_once_and_honours_the_limit() -> None:
    n = 12
    history = PairingHistory(n)
    scores = np.linspace(-2, 2, n)
    pairs = adaptive_round(history, scores, np.eye(n) * 0.3, random.Random(3), limit=4)
    essays = [i for p in pairs for i in (p.first, p.second)]
    assert len(pairs) == 4
    assert len(essays) == len(set(essays))


def test_under_compared_essays_go_first_in_adaptive_rounds() -> None:
    n = 6
    history = PairingHistory(n)
    for _ in range(3):
        history.record(PlannedPair(0, 1))
        history.record(PlannedPair(2, 3))
    scores = np.array([0.0, 0.01, 0.02, 0.03, 5.0, -5.0])
    pairs = adaptive_round(
        history, scores, np.eye(n) * 0.5, random.Random(0), limit=1, min_comparisons=2
    )
    assert {pairs[0].first, pairs[0].second} & {4, 5}


def test_adaptive_rounds_repeat_pairs_only_when_none_is_left() -> None:
    history = PairingHistory(3)
    for pair in (PlannedPair(0, 1), PlannedPair(1, 2), PlannedPair(2, 0)):
        history.record(pair)
    pairs = adaptive_round(history, np.zeros(3), np.eye(3), random.Random(0), limit=1)
    assert len(pairs) == 1
    assert history.pairs[pair_key(pairs[0].first, pairs[0].second)] == 2


def test_orientation_evens_out_positions() -> None:
    history = PairingHistory(2)
    history.record(PlannedPair(0, 1))
    (pair,) = adaptive_round(history, np.zeros(2), np.eye(2), random.Random(0), limit=1)
    assert pair == PlannedPair(1, 0)
    assert history.balance == [0, 0]


def test_an_excluded_pair_is_replaced_and_its_essays_keep_their_counts() -> None:
    history = PairingHistory(4)
    history.exclude(PlannedPair(0, 1))
    assert history.counts == [0, 0, 0, 0]
    pairs = adaptive_round(history, np.zeros(4), np.eye(4), random.Random(0), limit=2)
    assert (0, 1) not in {pair_key(p.first, p.second) for p in pairs}
    assert len(pairs) == 2


def test_each_pick_counts_as_asked_before_the_next_is_chosen() -> None:
    # d(0,1) and d(2,3) are almost the same quantity (essays 0/2 and 1/3 move together), so once
    # (0, 1) is counted as asked, (2, 3) has less left to tell; (4, 5), unrelated, keeps its value.
    covariance = np.eye(6)
    covariance[0, 2] = covariance[2, 0] = covariance[1, 3] = covariance[3, 1] = 0.95
    covariance[4, 4] = covariance[5, 5] = 0.8
    scores = np.array([0.0, 0.0, 0.0, 0.0, 12.0, 12.0])
    before = pair_utilities(scores, covariance)
    assert before[0, 1] == pytest.approx(before[2, 3])

    expected = covariance.copy()
    add_expected_comparison(expected, scores, 0, 1)
    after = pair_utilities(scores, expected)

    assert after[2, 3] < 0.8 * before[2, 3]
    assert after[4, 5] == pytest.approx(before[4, 5])
