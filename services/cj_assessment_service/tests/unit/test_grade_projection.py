import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common_core.domain_enums import GradeConfidence
from common_core.grade_scales import GradeScaleId, grade_scale
from services.cj_assessment_service.domain.grade_projection import (
    AnchorScore,
    ProjectionError,
    can_project,
    confidence_label,
    fit_boundaries,
    grade_probabilities,
    project_grade,
    project_jointly,
)

SWEDISH = grade_scale(GradeScaleId.SWEDISH_A_F)  # F E D C B A


def phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_boundaries_interpolate_and_extrapolate_from_anchor_means() -> None:
    anchors = [AnchorScore("E", -2.0), AnchorScore("C", -0.2), AnchorScore("C", 0.2)]
    anchors += [AnchorScore("A", 2.0)]
    boundaries = fit_boundaries(SWEDISH, anchors)
    # Centres: E -2, C 0, A 2, D and B halfway, F one mean step (1.0) below E.
    assert boundaries.centres == pytest.approx((-3.0, -2.0, -1.0, 0.0, 1.0, 2.0))
    assert boundaries.upper_bounds == pytest.approx((-2.5, -1.5, -0.5, 0.5, 1.5))


def test_anchors_out_of_order_are_pooled_into_monotone_boundaries() -> None:
    anchors = [AnchorScore("D", 0.0), AnchorScore("C", 1.0), AnchorScore("B", 0.6)]
    boundaries = fit_boundaries(SWEDISH, anchors)
    assert all(b > a for a, b in itertools.pairwise(boundaries.upper_bounds))
    # C and B pool to 0.8 and are spread apart by the minimum step.
    assert boundaries.centres[3] == pytest.approx(0.8)
    assert boundaries.centres[4] == pytest.approx(0.9)


def test_probabilities_by_hand() -> None:
    anchors = [AnchorScore("E", -2.0), AnchorScore("C", 0.0), AnchorScore("A", 2.0)]
    probabilities = grade_probabilities(fit_boundaries(SWEDISH, anchors), 0.0, 0.5)
    assert probabilities["C"] == pytest.approx(phi(1.0) - phi(-1.0))
    assert probabilities["B"] == pytest.approx(phi(3.0) - phi(1.0))
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert list(probabilities) == list(SWEDISH.grades)


def test_a_projection_is_never_one_hot_while_there_is_uncertainty() -> None:
    anchors = [AnchorScore("F", -1.0), AnchorScore("A", 1.0)]
    projection = project_grade(fit_boundaries(SWEDISH, anchors), 0.05, 0.4)
    assert 0 < projection.probability < 1
    assert sum(1 for p in projection.probabilities.values() if p > 0.01) >= 2
    assert projection.grade == max(
        projection.probabilities, key=projection.probabilities.__getitem__
    )


def test_confident_projection_far_inside_a_band() -> None:
    anchors = [AnchorScore("E", -4.0), AnchorScore("C", 0.0), AnchorScore("A", 4.0)]
    projection = project_grade(fit_boundaries(SWEDISH, anchors), 0.0, 0.3)
    assert projection.grade == "C"
    assert projection.confidence is GradeConfidence.HIGH


@pytest.mark.parametrize(
    ("probability", "label"),
    [
        (0.9, GradeConfidence.HIGH),
        (0.75, GradeConfidence.HIGH),
        (0.6, GradeConfidence.MEDIUM),
        (0.5, GradeConfidence.MEDIUM),
        (0.3, GradeConfidence.LOW),
    ],
)
def test_confidence_labels(probability: float, label: GradeConfidence) -> None:
    assert confidence_label(probability) is label


def test_projection_needs_two_distinct_grades_on_the_scale() -> None:
    same = [AnchorScore("C", 0.0), AnchorScore("C", 1.0)]
    assert not can_project(SWEDISH, same)
    assert not can_project(SWEDISH, [AnchorScore("C", 0.0), AnchorScore("7", 1.0)])
    with pytest.raises(ProjectionError):
        fit_boundaries(SWEDISH, same)


def test_grades_of_another_scale_are_ignored() -> None:
    anchors = [AnchorScore("E", -1.0), AnchorScore("B", 1.0), AnchorScore("9", 30.0)]
    boundaries = fit_boundaries(SWEDISH, anchors)
    assert max(boundaries.centres) < 5


anchor_lists = st.lists(
    st.tuples(st.sampled_from(SWEDISH.grades), st.floats(-5, 5, allow_nan=False)),
    min_size=2,
    max_size=12,
).filter(lambda xs: len({g for g, _ in xs}) >= 2)


@settings(max_examples=80, deadline=None)
@given(anchor_lists, st.floats(-6, 6), st.floats(0.0, 3.0))
def test_any_anchors_give_increasing_boundaries_and_a_distribution(
    anchors: list[tuple[str, float]], score: float, se: float
) -> None:
    boundaries = fit_boundaries(SWEDISH, [AnchorScore(g, s) for g, s in anchors])
    bounds = boundaries.upper_bounds
    assert all(b > a for a, b in itertools.pairwise(bounds))
    probabilities = grade_probabilities(boundaries, score, se)
    assert set(probabilities) == set(SWEDISH.grades)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(0.0 <= p <= 1.0 for p in probabilities.values())


# Anchors E at -2, C at 0 and A at 2 (items 1-3) put the boundaries at -2.5, -1.5, -0.5, 0.5, 1.5.
ANCHOR_GRADES = {1: "E", 2: "C", 3: "A"}


def test_the_projected_grade_is_the_band_holding_the_median_not_the_open_top_band() -> None:
    scores = np.array([0.4, -2.0, 0.0, 2.0])
    covariance = np.diag([4.0, 1e-6, 1e-6, 1e-6])
    (essay, *_) = project_jointly(SWEDISH, ANCHOR_GRADES, scores, covariance)
    point = project_grade(fit_boundaries(SWEDISH, _anchors()), 0.4, 2.0)
    assert point.grade == "A"  # the mode: the open band above 1.5 holds the most mass
    assert essay.grade == "C"  # P(below C) < 0.5 <= P(up to C)
    below = sum(essay.probabilities[g] for g in ("F", "E", "D"))
    assert below < 0.5 <= below + essay.probabilities["C"]


def _anchors() -> list[AnchorScore]:
    return [AnchorScore("E", -2.0), AnchorScore("C", 0.0), AnchorScore("A", 2.0)]


def test_uncertain_anchors_make_the_same_essay_less_certain() -> None:
    certain = project_jointly(
        SWEDISH, ANCHOR_GRADES, np.array([0.0, -2.0, 0.0, 2.0]), np.diag([0.01] + [1e-6] * 3)
    )[0]
    doubtful = project_jointly(
        SWEDISH, ANCHOR_GRADES, np.array([0.0, -2.0, 0.0, 2.0]), np.diag([0.01] + [0.5] * 3)
    )[0]
    assert (certain.grade, doubtful.grade) == ("C", "C")
    assert certain.probability > 0.99
    assert doubtful.probability < certain.probability - 0.2


def test_joint_probabilities_match_the_point_boundaries_when_anchors_are_exact() -> None:
    joint = project_jointly(
        SWEDISH, ANCHOR_GRADES, np.array([0.3, -2.0, 0.0, 2.0]), np.diag([0.36] + [1e-8] * 3)
    )[0]
    exact = grade_probabilities(fit_boundaries(SWEDISH, _anchors()), 0.3, 0.6)
    for grade, probability in exact.items():
        assert joint.probabilities[grade] == pytest.approx(probability, abs=0.03)
