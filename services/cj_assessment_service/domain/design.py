"""The comparison design: which pairs to ask next, given what has been asked and the current fit."""

import random
from dataclasses import dataclass

from services.cj_assessment_service.domain.bradley_terry import BradleyTerryFit
from services.cj_assessment_service.domain.pairing import (
    PairingHistory,
    PlannedPair,
    adaptive_round,
    coverage_round,
)


@dataclass(frozen=True)
class DesignSettings:
    comparisons_per_essay: int = 10
    max_comparisons: int = 2000
    coverage_rounds: int = 2  # two rounds show each essay once as "Essay A" and once as "Essay B"
    adaptive: bool = True
    adaptive_round_share: float = 0.5  # share of the essays compared in one adaptive round
    min_comparisons_per_essay: int = 5
    target_reliability: float = 0.8
    prior_sd: float | None = None  # None: the cohort's spread is inferred from the judgements


def next_round(
    history: PairingHistory,
    fit: BradleyTerryFit | None,
    *,
    rounds_done: int,
    remaining: int,
    settings: DesignSettings,
    rng: random.Random,
) -> list[PlannedPair]:
    """Pairs for the next round (recorded in `history`); empty when no pair can be asked."""
    if remaining <= 0:
        return []
    if not settings.adaptive or fit is None or rounds_done < settings.coverage_rounds:
        return coverage_round(history, rng, limit=remaining)
    return adaptive_round(
        history,
        fit.scores,
        fit.covariance,
        rng,
        limit=min(remaining, adaptive_round_size(history.n_items, settings)),
        min_comparisons=settings.min_comparisons_per_essay,
    )


def adaptive_round_size(n_items: int, settings: DesignSettings) -> int:
    # Smaller adaptive rounds refit more often, so later pairs use fresher estimates.
    return max(1, int(n_items * settings.adaptive_round_share) // 2)
