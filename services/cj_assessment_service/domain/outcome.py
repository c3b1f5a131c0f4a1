"""From judgements to results: scores, errors, ranks, misfit and grade projections (anchors)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

import numpy as np

from common_core.grade_scales import GradeScale, GradeScaleId
from services.cj_assessment_service.domain.bradley_terry import (
    BradleyTerryFit,
    ComparisonData,
)
from services.cj_assessment_service.domain.cohort_spread import fit_scores
from services.cj_assessment_service.domain.fit_statistics import (
    fit_reliability,
    misfit_statistics,
)
from services.cj_assessment_service.domain.grade_projection import (
    AnchorScore,
    GradeProjection,
    can_project,
    project_jointly,
)
from services.cj_assessment_service.domain.judge_statistics import (
    JudgeStatistics,
    judge_statistics,
)
from services.cj_assessment_service.domain.split_half import split_half_reliability


@dataclass(frozen=True)
class Participant:
    position: int
    essay_id: UUID
    anchor_grade: str | None = None

    @property
    def is_anchor(self) -> bool:
        return self.anchor_grade is not None


@dataclass(frozen=True)
class Judged:
    first: int  # position of the essay shown as "Essay A"
    second: int
    first_won: bool
    judge: str = ""  # the judge identity stored on the comparison ("llm:<model>;prompt=<v>")


@dataclass(frozen=True)
class EssayOutcome:
    position: int
    essay_id: UUID
    is_anchor: bool
    rank: int
    score: float
    standard_error: float
    normalized_score: float
    comparison_count: int
    infit: float
    outfit: float
    misfit: bool
    projection: GradeProjection | None


@dataclass(frozen=True)
class Outcome:
    essays: list[EssayOutcome]  # strongest first
    reliability: float
    position_bias: float | None
    grade_scale: GradeScaleId | None
    judges: list[JudgeStatistics] = field(default_factory=list)  # most judgements first
    split_half: float | None = None  # split-half reliability beside the model-based one


def comparison_data(n_items: int, judged: Sequence[Judged]) -> ComparisonData:
    return ComparisonData.from_triples(n_items, [(j.first, j.second, j.first_won) for j in judged])


def fit_judged(n_items: int, judged: Sequence[Judged], prior_sd: float | None) -> BradleyTerryFit:
    return fit_scores(comparison_data(n_items, judged), prior_sd)


def compute_outcome(
    participants: Sequence[Participant],
    judged: Sequence[Judged],
    *,
    prior_sd: float | None,
    scale: GradeScale | None,
) -> Outcome:
    data = comparison_data(len(participants), judged)
    fit = fit_scores(data, prior_sd)
    projections = _projections(participants, fit, scale)
    essays = _essay_outcomes(participants, data, fit, projections)
    graded = scale.id if projections is not None and scale is not None else None
    judges = judge_statistics(data, fit, [j.judge for j in judged])
    split_half = split_half_reliability(data, prior_sd)
    return Outcome(essays, fit_reliability(fit), fit.position_bias, graded, judges, split_half)


def _projections(
    participants: Sequence[Participant], fit: BradleyTerryFit, scale: GradeScale | None
) -> list[GradeProjection] | None:
    anchor_grades = {p.position: p.anchor_grade for p in participants if p.anchor_grade}
    anchors = [AnchorScore(grade, 0.0) for grade in anchor_grades.values()]
    if scale is None or not can_project(scale, anchors):
        return None
    return project_jointly(scale, anchor_grades, fit.scores, fit.covariance)


def _essay_outcomes(
    participants: Sequence[Participant],
    data: ComparisonData,
    fit: BradleyTerryFit,
    projections: list[GradeProjection] | None,
) -> list[EssayOutcome]:
    misfit = misfit_statistics(data, fit)
    counts = data.counts()
    order = sorted(range(len(participants)), key=lambda k: (-fit.scores[k], k))
    ranks = {position: rank for rank, position in enumerate(order, start=1)}
    normalized = _normalized(fit.scores)
    return [
        EssayOutcome(
            position=p.position,
            essay_id=p.essay_id,
            is_anchor=p.is_anchor,
            rank=ranks[p.position],
            score=float(fit.scores[p.position]),
            standard_error=float(fit.standard_errors[p.position]),
            normalized_score=float(normalized[p.position]),
            comparison_count=int(counts[p.position]),
            infit=float(misfit.infit[p.position]),
            outfit=float(misfit.outfit[p.position]),
            misfit=bool(misfit.flagged[p.position]),
            projection=projections[p.position] if projections is not None else None,
        )
        for p in sorted(participants, key=lambda p: ranks[p.position])
    ]


def _normalized(scores: np.ndarray) -> np.ndarray:
    spread = float(scores.max() - scores.min())
    if spread <= 0.0:
        return np.full(scores.shape, 0.5)
    result: np.ndarray = np.clip((scores - scores.min()) / spread, 0.0, 1.0)
    return result
