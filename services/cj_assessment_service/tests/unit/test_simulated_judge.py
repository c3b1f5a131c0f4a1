import json
import math
from pathlib import Path

import pytest

from services.cj_assessment_service.domain.simulated_judge import (
    DeclaredQualities,
    SimulatedJudgeModel,
    quality_from_text,
    uniform_from,
)
from services.cj_assessment_service.implementations.simulated_judge import declared_qualities


def test_decisions_are_deterministic_for_a_seed_and_key() -> None:
    judge = SimulatedJudgeModel(seed=7)
    first = [judge.decide(0.2, -0.1, f"k{i}") for i in range(50)]
    again = [SimulatedJudgeModel(seed=7).decide(0.2, -0.1, f"k{i}") for i in range(50)]
    other = [SimulatedJudgeModel(seed=8).decide(0.2, -0.1, f"k{i}") for i in range(50)]
    assert first == again
    assert first != other


def test_win_rate_follows_bradley_terry() -> None:
    judge = SimulatedJudgeModel(seed=1)
    trials = 4000
    wins = sum(judge.decide(1.0, 0.0, str(i)).first_won for i in range(trials))
    expected = 1 / (1 + math.exp(-1.0))
    assert abs(wins / trials - expected) < 4 * math.sqrt(expected * (1 - expected) / trials)


def test_position_bias_favours_essay_a() -> None:
    biased = SimulatedJudgeModel(seed=3, position_bias=0.8)
    fair = SimulatedJudgeModel(seed=3)
    trials = 3000
    biased_wins = sum(biased.decide(0.0, 0.0, str(i)).first_won for i in range(trials))
    fair_wins = sum(fair.decide(0.0, 0.0, str(i)).first_won for i in range(trials))
    assert biased_wins / trials > 0.62
    assert abs(fair_wins / trials - 0.5) < 0.04


def test_confidence_reflects_the_quality_gap() -> None:
    judge = SimulatedJudgeModel(seed=0)
    assert judge.decide(0.0, 0.0, "x").confidence == pytest.approx(0.0)
    assert judge.decide(3.0, 0.0, "x").confidence > judge.decide(0.5, 0.0, "x").confidence


def test_uniform_is_in_range_and_spread() -> None:
    values = [uniform_from(1, str(i)) for i in range(2000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert 0.45 < sum(values) / len(values) < 0.55


def test_quality_from_text_is_stable_and_prefers_developed_writing() -> None:
    rich = (
        "Comparative judgement asks assessors to decide which of two essays is better. "
        "Reliability emerges from many such decisions, aggregated statistically, rather than "
        "from rubric points awarded in isolation. Consequently, experienced teachers often "
        "agree more readily about relative quality than about absolute marks. "
    ) * 4
    poor = "it is good. it is good. it is good."
    assert quality_from_text(rich) == quality_from_text(rich)
    assert quality_from_text(rich) > quality_from_text(poor)
    assert quality_from_text("") == -4.0
    assert -4.0 <= quality_from_text("word " * 100_000) <= 4.0


ESSAY = (
    "Replacing textbooks with tablets sounds modern, but modern is not an argument. Before a "
    "school spends its budget, it should ask three questions."
)


def test_a_declared_quality_is_found_under_a_heading_and_across_line_breaks() -> None:
    declared = DeclaredQualities.of({ESSAY: 2.2})
    as_extracted = "Should schools replace printed textbooks?\n\n" + ESSAY.replace(" ", "\n", 5)
    assert declared(as_extracted) == 2.2
    assert declared(ESSAY.upper()) == 2.2


def test_a_text_without_a_declared_opening_gets_its_surface_quality() -> None:
    declared = DeclaredQualities.of({ESSAY: 2.2})
    other = "Books are good. Tablets are also good. I like tablets more."
    assert declared(other) == quality_from_text(other)
    # The same words later in a text than its own opening do not count as the opening.
    assert declared(ESSAY.split(",")[1]) == quality_from_text(ESSAY.split(",")[1])


def test_the_first_declared_opening_in_a_text_decides() -> None:
    weak = "I think tablets are good because they are modern and light. Books are heavy."
    declared = DeclaredQualities.of({ESSAY: 2.2, weak: -2.6})
    assert declared(f"{weak} {ESSAY}") == -2.6


def test_the_qualities_file_is_read_and_none_means_surface_features(tmp_path: Path) -> None:
    path = tmp_path / "qualities.json"
    path.write_text(json.dumps({" ".join(ESSAY.split()[:12]): 1.5}))
    assert declared_qualities(path)(ESSAY) == 1.5
    assert declared_qualities(None) is quality_from_text
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="expected a JSON object"):
        declared_qualities(path)
