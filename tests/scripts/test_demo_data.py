"""The demo's essays and anchors: qualities a teacher would agree with, reaching only the
simulated judge, and results from the service's own scoring that look right."""

from __future__ import annotations

import json
from uuid import uuid4

from common_core.grade_scales import GradeScaleId, grade_scale
from scripts.demo_data.essays import ANCHORS, ESSAYS, QUALITIES_FILE, declared_qualities, path_of
from scripts.platform_services import REPO_ROOT, SERVICES_BY_NAME
from services.cj_assessment_service.config import Settings
from services.cj_assessment_service.domain.outcome import Judged, Participant, compute_outcome
from services.cj_assessment_service.domain.simulated_judge import SimulatedJudgeModel
from services.cj_assessment_service.implementations.simulated_judge import (
    declared_qualities as load,
)

PRIOR_SD = Settings.model_fields["PRIOR_SD"].default  # the service's default

# As a teacher ranks them, best first, with the grade each deserves.
TEACHER = {
    "chloe_hassan.docx": "A",
    "emma_novak.pdf": "A",
    "anna_lind.txt": "B",
    "david_kim.docx": "C",
    "ben_ortiz.txt": "E",
    "farid_ali.pdf": "E",
}


def test_the_committed_qualities_file_is_what_the_essays_declare() -> None:
    assert json.loads(QUALITIES_FILE.read_text()) == declared_qualities()
    stack = dict(SERVICES_BY_NAME["cj_assessment_service"].stack_files)
    assert REPO_ROOT / stack["SIMULATED_JUDGE_QUALITIES_FILE"] == QUALITIES_FILE


def test_the_qualities_rank_the_essays_as_a_teacher_would_and_anchors_by_grade() -> None:
    ranked = sorted(ESSAYS, key=lambda e: -e.quality)
    assert [e.file_name for e in ranked] == list(TEACHER)
    scale = grade_scale(GradeScaleId.SWEDISH_A_F)
    by_grade = sorted(ANCHORS, key=lambda a: -scale.rank(a.grade))
    assert [a.quality for a in by_grade] == sorted((a.quality for a in ANCHORS), reverse=True)


def test_the_simulated_judge_finds_each_essay_in_its_file_under_the_task_heading() -> None:
    quality_of = load(QUALITIES_FILE)
    for essay in ESSAYS:
        if essay.file_name.endswith(".txt"):
            assert quality_of(path_of(essay).read_text()) == essay.quality
        assert quality_of(f"Should schools replace printed textbooks?\n\n{essay.text}") == (
            essay.quality
        )
    for anchor in ANCHORS:
        assert quality_of(anchor.text) == anchor.quality


def test_the_demo_ranks_and_grades_its_essays_as_a_teacher_would() -> None:
    """Every pair once (the demo's 11 texts at 10 comparisons each), judged by the simulated
    judge from the declared qualities, scored by the service; over seeds. The grade bands are
    1.3 logits wide and an essay's SE about 0.9 at this budget, so a neighbouring grade is
    projected in about four cases of ten; never one two grades away."""
    texts = [*(e.text for e in ESSAYS), *(a.text for a in ANCHORS)]
    grades = [None] * len(ESSAYS) + [a.grade for a in ANCHORS]
    participants = [Participant(k, uuid4(), grade) for k, grade in enumerate(grades)]
    quality_of = load(QUALITIES_FILE)
    qualities = [quality_of(text) for text in texts]
    right_grades = right_order = within_one = 0
    scale = grade_scale(GradeScaleId.SWEDISH_A_F)
    seeds = 10
    for seed in range(seeds):
        judge = SimulatedJudgeModel(seed)
        judged = [
            Judged(i, j, judge.decide(qualities[i], qualities[j], f"{i}-{j}").first_won)
            for i in range(len(texts))
            for j in range(i + 1, len(texts))
        ]
        outcome = compute_outcome(participants, judged, prior_sd=PRIOR_SD, scale=scale)
        essays = [e for e in outcome.essays if not e.is_anchor]
        names = [ESSAYS[e.position].file_name for e in essays]
        right_order += names[0] in ("chloe_hassan.docx", "emma_novak.pdf")
        right_order += names[-1] in ("ben_ortiz.txt", "farid_ali.pdf")
        for essay in essays:
            assert essay.projection is not None
            deserved = TEACHER[ESSAYS[essay.position].file_name]
            right_grades += essay.projection.grade == deserved
            within_one += abs(scale.rank(essay.projection.grade) - scale.rank(deserved)) <= 1
    assert right_order >= 0.9 * 2 * seeds
    assert right_grades >= 0.5 * len(ESSAYS) * seeds
    assert within_one >= 0.9 * len(ESSAYS) * seeds
