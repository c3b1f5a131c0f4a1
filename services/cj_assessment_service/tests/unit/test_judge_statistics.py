from uuid import uuid4

import numpy as np
import pytest

from services.cj_assessment_service.domain.bradley_terry import ComparisonData, fit_bradley_terry
from services.cj_assessment_service.domain.judge_statistics import (
    UNKNOWN_JUDGE,
    JudgeStatistics,
    judge_statistics,
)
from services.cj_assessment_service.domain.outcome import Judged, Participant, compute_outcome

CAREFUL, COIN, BIASED = "llm:careful;prompt=1", "llm:coin;prompt=1", "simulated:seed=3"


def mixed_judges(seed: int, n: int = 40, m: int = 1200) -> tuple[ComparisonData, list[str]]:
    """Three judges share the comparisons: one follows the model, one tosses a coin, one gives
    "Essay A" a 1.0-logit advantage."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(0.0, 1.7, n)
    first = rng.integers(0, n, m)
    second = (first + rng.integers(1, n, m)) % n
    judges = [(CAREFUL, CAREFUL, COIN, BIASED)[k % 4] for k in range(m)]
    logit = truth[first] - truth[second] + np.where(np.array(judges) == BIASED, 1.0, 0.0)
    p = np.where(np.array(judges) == COIN, 0.5, 1.0 / (1.0 + np.exp(-logit)))
    return ComparisonData(n, first, second, rng.random(m) < p), judges


def by_judge(rows: list[JudgeStatistics]) -> dict[str, JudgeStatistics]:
    return {row.judge: row for row in rows}


def test_every_judgement_is_counted_once_most_judgements_first() -> None:
    data, judges = mixed_judges(1)
    rows = judge_statistics(data, fit_bradley_terry(data), judges)
    assert [r.judge for r in rows] == [CAREFUL, COIN, BIASED]  # 600, 300, 300; ties by name
    assert sum(r.judgements for r in rows) == data.size


def test_a_judge_tossing_coins_has_a_high_infit_and_agrees_less_than_expected() -> None:
    data, judges = mixed_judges(2)
    rows = by_judge(judge_statistics(data, fit_bradley_terry(data), judges))
    careful, coin = rows[CAREFUL], rows[COIN]
    assert careful.infit == pytest.approx(1.0, abs=0.2)
    assert coin.infit > 1.5
    # The coin tosses flatten the shared fit, so the careful judge agrees more than it expects.
    assert careful.agreement >= careful.expected_agreement - 0.02
    assert coin.agreement == pytest.approx(0.5, abs=0.07)
    assert coin.expected_agreement - coin.agreement > 0.15


def test_a_judges_own_position_bias_is_estimated_with_its_error() -> None:
    data, judges = mixed_judges(3)
    rows = by_judge(judge_statistics(data, fit_bradley_terry(data), judges))
    biased, careful = rows[BIASED], rows[CAREFUL]
    assert biased.first_position_wins > 0.6
    assert abs(biased.position_bias - 1.0) < 3 * biased.position_bias_se
    assert 0.05 < biased.position_bias_se < 0.3
    # The shared fit absorbs part of the biased judge's advantage; the others' own bias stays
    # well below it.
    assert abs(careful.position_bias) < 0.5


def test_a_judge_with_only_first_position_wins_gets_a_finite_bias() -> None:
    data = ComparisonData.from_triples(3, [(0, 1, True), (1, 2, True), (2, 0, True)] * 3)
    (row,) = judge_statistics(data, fit_bradley_terry(data), ["x"] * data.size)
    assert row.first_position_wins == 1.0
    assert 0.0 < row.position_bias < 5.0


def test_the_outcome_carries_judge_statistics_and_a_missing_identity_is_named() -> None:
    participants = [Participant(k, uuid4()) for k in range(3)]
    judged = [Judged(0, 1, True, "llm:a;prompt=1"), Judged(1, 2, True), Judged(2, 0, False, "")]
    outcome = compute_outcome(participants, judged, prior_sd=2.0, scale=None)
    assert {(j.judge, j.judgements) for j in outcome.judges} == {
        ("llm:a;prompt=1", 1),
        (UNKNOWN_JUDGE, 2),
    }


def test_one_identity_per_comparison_is_required() -> None:
    data = ComparisonData.from_triples(2, [(0, 1, True)])
    with pytest.raises(ValueError, match="one judge identity per comparison"):
        judge_statistics(data, fit_bradley_terry(data), [])
