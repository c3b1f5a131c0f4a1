import random

import numpy as np

from common_core.domain_enums import CJStopReason
from services.cj_assessment_service.domain.bradley_terry import BradleyTerryFit
from services.cj_assessment_service.domain.design import (
    DesignSettings,
    adaptive_round_size,
    next_round,
)
from services.cj_assessment_service.domain.pairing import PairingHistory, pair_key
from services.cj_assessment_service.domain.stopping import StoppingRule


def a_fit(n: int) -> BradleyTerryFit:
    return BradleyTerryFit(np.linspace(-2, 2, n), np.ones(n), np.eye(n), None, None, 1, 2.0)


def test_coverage_rounds_come_first_then_smaller_adaptive_rounds() -> None:
    settings = DesignSettings(coverage_rounds=2)
    history, rng, n = PairingHistory(20), random.Random(0), 20
    sizes = [
        len(next_round(history, a_fit(n), rounds_done=r, remaining=500, settings=settings, rng=rng))
        for r in range(4)
    ]
    assert sizes == [10, 10, adaptive_round_size(n, settings), adaptive_round_size(n, settings)]
    assert adaptive_round_size(n, settings) == 5


def test_coverage_only_design_never_goes_adaptive() -> None:
    settings = DesignSettings(adaptive=False)
    history, rng = PairingHistory(10), random.Random(0)
    for r in range(6):
        pairs = next_round(
            history, a_fit(10), rounds_done=r, remaining=99, settings=settings, rng=rng
        )
        assert len(pairs) == 5
    assert max(history.pairs.values()) == 1


def test_the_remaining_budget_caps_a_round() -> None:
    history, rng = PairingHistory(10), random.Random(0)
    pairs = next_round(
        history, None, rounds_done=5, remaining=2, settings=DesignSettings(), rng=rng
    )
    assert len(pairs) == 2
    assert (
        next_round(history, None, rounds_done=5, remaining=0, settings=DesignSettings(), rng=rng)
        == []
    )


def test_without_a_fit_the_design_stays_on_coverage() -> None:
    history, rng = PairingHistory(8), random.Random(0)
    pairs = next_round(
        history, None, rounds_done=9, remaining=99, settings=DesignSettings(), rng=rng
    )
    assert len({pair_key(p.first, p.second) for p in pairs}) == 4


def test_stop_when_the_budget_is_spent() -> None:
    rule = StoppingRule()
    reason = rule.reason_to_stop(reliability=0.1, counts=[1, 1], completed=10, budget=10)
    assert reason is CJStopReason.BUDGET_EXHAUSTED


def test_stop_on_reliability_only_when_every_essay_has_its_minimum() -> None:
    rule = StoppingRule(target_reliability=0.8, min_comparisons_per_essay=5)
    assert rule.reason_to_stop(reliability=0.9, counts=[5, 4], completed=5, budget=50) is None
    reached = rule.reason_to_stop(reliability=0.9, counts=[5, 6], completed=6, budget=50)
    assert reached is CJStopReason.RELIABILITY_REACHED
    assert rule.reason_to_stop(reliability=0.79, counts=[9, 9], completed=9, budget=50) is None
