"""Are the stated grade probabilities true? Simulated assessments with anchors of known grade.

Four grades with true boundaries at -1.2, 0 and 1.2 logits; abilities ~ N(0, 1.7^2); six anchors
typical of their grade (D at -1.8, two C at -0.6, two B at 0.6, A at 1.8: each boundary lies
midway between the neighbouring grades' typical anchors). Every essay's true grade is the band
of its true ability. "before" is the projection the service used until now: boundaries from the
anchors' point scores, the most probable band; "now" is the joint projection over draws of every
score (anchors included) and the band holding the median.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from scipy.special import expit  # type: ignore[import-untyped]

from common_core.grade_scales import GradeScale, GradeScaleId
from services.cj_assessment_service.domain.bradley_terry import (
    ComparisonData,
    fit_bradley_terry,
)
from services.cj_assessment_service.domain.cohort_spread import fit_scores
from services.cj_assessment_service.domain.design import DesignSettings, next_round
from services.cj_assessment_service.domain.grade_projection import (
    AnchorScore,
    GradeProjection,
    fit_boundaries,
    project_grade,
    project_jointly,
)
from services.cj_assessment_service.domain.pairing import PairingHistory

SCALE = GradeScale(
    id=GradeScaleId.SWEDISH_A_F, name="four grades", grades=("D", "C", "B", "A"), lowest_passing="D"
)
TRUE_BOUNDS = np.array([-1.2, 0.0, 1.2])
ANCHORS = (("D", -1.8), ("C", -0.6), ("C", -0.6), ("B", 0.6), ("B", 0.6), ("A", 1.8))
CONFIDENCE_LABELS = ("high", "medium", "low")


@dataclass(frozen=True)
class Graded:
    """One student essay's projection beside its true grade."""

    stated: float
    correct: bool
    label: str


def run(seed: int, essays: int, per_essay: int, method: str) -> list[Graded]:
    rng, pairing = np.random.default_rng(seed), random.Random(seed)
    truth = np.concatenate([rng.normal(0.0, 1.7, essays), [score for _, score in ANCHORS]])
    n = truth.size
    history, fit = PairingHistory(n), None
    triples: list[tuple[int, int, bool]] = []
    budget, rounds = n * per_essay // 2, 0
    fit_of = (lambda d: fit_bradley_terry(d, prior_sd=2.0)) if method == "before" else fit_scores
    while len(triples) < budget:
        pairs = next_round(
            history,
            fit,
            rounds_done=rounds,
            remaining=budget - len(triples),
            settings=DesignSettings(),
            rng=pairing,
        )
        if not pairs:
            break
        rounds += 1
        for pair in pairs:
            won = rng.random() < expit(truth[pair.first] - truth[pair.second])
            triples.append((pair.first, pair.second, bool(won)))
        fit = fit_of(ComparisonData.from_triples(n, triples))
    assert fit is not None
    projections = _projections(method, fit.scores, fit.covariance, fit.standard_errors, essays)
    true_grades = np.searchsorted(TRUE_BOUNDS, truth[:essays])
    return [
        Graded(p.probability, p.grade == SCALE.grades[g], str(p.confidence))
        for p, g in zip(projections, true_grades, strict=True)
    ]


def _projections(
    method: str, scores: np.ndarray, covariance: np.ndarray, errors: np.ndarray, essays: int
) -> list[GradeProjection]:
    if method == "before":
        anchors = [
            AnchorScore(grade, float(scores[essays + k])) for k, (grade, _) in enumerate(ANCHORS)
        ]
        bounds = fit_boundaries(SCALE, anchors)
        return [project_grade(bounds, float(scores[i]), float(errors[i])) for i in range(essays)]
    known = {essays + k: grade for k, (grade, _) in enumerate(ANCHORS)}
    return project_jointly(SCALE, known, scores, covariance)[:essays]


def calibration(graded: list[Graded], bins: int = 10) -> float:
    """Expected calibration error of the stated probability of the projected grade."""
    stated = np.array([g.stated for g in graded])
    correct = np.array([g.correct for g in graded], dtype=float)
    index = np.minimum((stated * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            error += members.mean() * abs(stated[members].mean() - correct[members].mean())
    return error


def by_label(graded: list[Graded]) -> dict[str, tuple[int, float, float]]:
    """Per confidence label: count, mean stated probability, share correct."""
    rows = {}
    for label in CONFIDENCE_LABELS:
        members = [g for g in graded if g.label == label]
        if members:
            stated = float(np.mean([g.stated for g in members]))
            rows[label] = (len(members), stated, float(np.mean([g.correct for g in members])))
    return rows
