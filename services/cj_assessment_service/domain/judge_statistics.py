"""How each judge (model and prompt version, a simulated seed, a person) behaved in an assessment.

Everything is read against the Bradley-Terry fit of all judgements together (the consensus):

- infit: the information-weighted mean square of the judge's residuals, each squared residual
  over what the fit leaves of its variance (as for essays, fit_statistics); about 1 for a judge
  that agrees with the model as well as the model expects, well above 1 for an erratic judge.
- position bias: the share of its judgements won by the essay shown as "Essay A", and a logit
  estimate delta of the judge's own advantage for "Essay A" given the fitted scores,
  P(A wins) = logistic(theta_A - theta_B + delta) with a N(0, 1) prior (as the fit's), with the
  SE from its curvature.
- agreement: the share of its judgements that name the fitted model's more likely winner, beside
  the share expected from a judge that follows the model exactly (the mean of max(p, 1 - p)).
  An erratic judge flattens the shared fit, so beside it the consistent judges agree more than
  expected: compare the judges with one another, not only with their expectation.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit  # type: ignore[import-untyped]

from services.cj_assessment_service.domain.bradley_terry import (
    POSITION_BIAS_PRIOR_SD,
    BradleyTerryFit,
    ComparisonData,
    FloatArray,
)
from services.cj_assessment_service.domain.fit_statistics import comparison_residuals

UNKNOWN_JUDGE = "unknown"
_NEWTON_STEPS = 50


@dataclass(frozen=True)
class JudgeStatistics:
    judge: str
    judgements: int
    infit: float
    first_position_wins: float  # share of judgements won by "Essay A"
    position_bias: float  # logits
    position_bias_se: float
    agreement: float
    expected_agreement: float


def judge_statistics(
    data: ComparisonData, fit: BradleyTerryFit, judges: Sequence[str]
) -> list[JudgeStatistics]:
    """One row per judge identity (judges[k] judged comparison k), most judgements first."""
    if len(judges) != data.size:
        raise ValueError("one judge identity per comparison is needed")
    residuals = comparison_residuals(data, fit)
    distance = fit.scores[data.first] - fit.scores[data.second]
    names = np.array([judge or UNKNOWN_JUDGE for judge in judges], dtype=object)
    rows = []
    for name in sorted(set(names), key=lambda j: (-int(np.count_nonzero(names == j)), j)):
        mine = names == name
        won = data.first_won[mine]
        p = residuals.p_first[mine]
        bias, bias_se = _own_position_bias(distance[mine], won)
        rows.append(
            JudgeStatistics(
                judge=str(name),
                judgements=int(mine.sum()),
                infit=float(
                    np.sum(residuals.residual[mine] ** 2)
                    / max(float(np.sum(residuals.residual_variance[mine])), 1e-12)
                ),
                first_position_wins=float(won.mean()),
                position_bias=bias,
                position_bias_se=bias_se,
                agreement=float(np.mean(won == (p > 0.5))),
                expected_agreement=float(np.mean(np.maximum(p, 1.0 - p))),
            )
        )
    return rows


def _own_position_bias(distance: FloatArray, first_won: np.ndarray) -> tuple[float, float]:
    """The penalised MLE of delta given the score differences (Newton's method in one variable)."""
    precision = 1.0 / POSITION_BIAS_PRIOR_SD**2
    outcome = first_won.astype(np.float64)
    delta = 0.0
    for _ in range(_NEWTON_STEPS):
        p = expit(distance + delta)
        gradient = float(np.sum(outcome - p)) - precision * delta
        curvature = float(np.sum(p * (1.0 - p))) + precision
        step = gradient / curvature
        delta += step
        if abs(step) < 1e-10:
            break
    p = expit(distance + delta)
    return float(delta), float(1.0 / np.sqrt(float(np.sum(p * (1.0 - p))) + precision))
