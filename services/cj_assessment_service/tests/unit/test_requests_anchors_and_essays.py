"""ELS requests (idempotent), provisioned essays, anchors and grade projection."""

from uuid import uuid4

import pytest

from common_core.courses import CourseCode, Language
from common_core.error_enums import CJAssessmentErrorCode, ErrorCode
from common_core.events.cj import (
    AssessmentResultV1,
    CJAssessmentFailedV1,
    ELS_CJAssessmentRequestV1,
    EssayReference,
)
from common_core.events.codec import new_envelope
from common_core.events.file import BatchFileRemovedV1
from common_core.grade_scales import GradeScaleId
from services.cj_assessment_service.domain.errors import InvalidRequest
from services.cj_assessment_service.handlers.anchors import NewAnchor, RegisterAnchors
from services.cj_assessment_service.handlers.requests import BatchAssessment
from services.cj_assessment_service.tests.support.fakes import ScriptedJudge
from services.cj_assessment_service.tests.support.harness import (
    TEACHER,
    Harness,
    MakeHarness,
    simulated_judge,
)


def els_request(h: Harness, count: int, **fields: object):  # type: ignore[no-untyped-def]
    essays = []
    for index in range(count):
        storage_id = f"els-text-{uuid4()}"
        h.content.texts[storage_id] = f"ELS essay {index}, quality {index - count / 2}"
        essays.append(EssayReference(essay_id=uuid4(), text_storage_id=storage_id))
    payload = ELS_CJAssessmentRequestV1(
        batch_id=uuid4(),
        essays=essays,
        language=Language.SWEDISH,
        course_code=CourseCode.SV2,
        user_id=TEACHER,
        **fields,
    )
    return new_envelope(payload, source_service="essay_lifecycle_service", correlation_id=uuid4())


async def test_a_request_delivered_twice_creates_one_assessment(harness: MakeHarness) -> None:
    h = await harness()
    envelope = els_request(h, 6)
    await h.on_request(envelope)
    await h.on_request(envelope)
    (assessment,) = h.state.assessments.values()
    assert assessment.origin == "kafka"
    assert assessment.request_event_id == envelope.event_id
    assert assessment.correlation_id == envelope.correlation_id
    await h.worker.drain()
    assert h.state.assessments[assessment.id].state == "completed"
    assert len(h.credits.holds) == 1


async def test_a_request_with_one_essay_is_refused_with_an_event(harness: MakeHarness) -> None:
    h = await harness()
    envelope = els_request(h, 1)
    await h.on_request(envelope)
    await h.on_request(envelope)
    assert not h.state.assessments
    (event,) = h.state.events(CJAssessmentFailedV1)
    assert event.assessment_id is None
    assert event.batch_id == envelope.data.batch_id
    assert event.error_detail.error_code == CJAssessmentErrorCode.INSUFFICIENT_ESSAYS
    assert event.error_detail.correlation_id == envelope.correlation_id


async def test_judge_overrides_travel_with_the_request(harness: MakeHarness) -> None:
    judge = ScriptedJudge(simulated_judge())
    h = await harness(judge=judge)
    from common_core.events.cj import JudgeOverrides

    overrides = JudgeOverrides(llm_model="special", temperature=0.3)
    await h.on_request(els_request(h, 4, judge_overrides=overrides))
    await h.worker.drain()
    assert judge.tasks
    assert {t.options.model for t in judge.tasks} == {"special"}
    assert {t.options.temperature for t in judge.tasks} == {0.3}
    assert {t.language for t in judge.tasks} == {Language.SWEDISH}


async def test_provisioned_essays_are_recorded_once_and_removed_ones_left_out(
    harness: MakeHarness,
) -> None:
    h = await harness()
    batch = await h.provision([0.0, 1.0, 2.0])
    assert len(h.state.essays) == 3
    removed = next(iter(h.state.essays.values()))
    payload = BatchFileRemovedV1(
        batch_id=batch,
        file_upload_id=removed.essay_id,
        owner_user_id=TEACHER,
        original_file_name="x.txt",
    )
    await h.on_removed(new_envelope(payload, source_service="file_service", correlation_id=uuid4()))
    assessment = await h.start(
        BatchAssessment(user_id=TEACHER, org_id=None, batch_id=batch, correlation_id=uuid4())
    )
    participants = h.state.participants[assessment.id]
    assert removed.essay_id not in {p.essay_id for p in participants}
    assert len(participants) == 2


async def register(h: Harness, grades_and_qualities: list[tuple[str, float]]) -> None:
    await h.anchors.register(
        RegisterAnchors(
            user_id=TEACHER,
            course_code=CourseCode.ENG6,
            anchors=[
                NewAnchor(grade, f"Reference answer, quality {quality}", label=f"anchor-{grade}")
                for grade, quality in grades_and_qualities
            ],
        )
    )


async def test_anchors_project_grades_without_the_judge_ever_seeing_them_as_anchors(
    harness: MakeHarness,
) -> None:
    judge = ScriptedJudge(simulated_judge())
    h = await harness(judge=judge)
    await register(h, [("E", -2.0), ("C", 0.0), ("A", 2.0)])
    batch = await h.provision([-1.5, -0.5, 0.3, 1.2, 2.5])
    assessment = await h.start(
        BatchAssessment(user_id=TEACHER, org_id=None, batch_id=batch, correlation_id=uuid4())
    )
    await h.worker.drain()

    (result,) = h.state.events(AssessmentResultV1)
    assert result.grade_scale == GradeScaleId.SWEDISH_A_F
    assert len(result.essay_results) == 8
    assert sum(r.is_anchor for r in result.essay_results) == 3
    for essay in result.essay_results:
        assert sum(essay.grade_probabilities.values()) == pytest.approx(1.0)
        assert max(essay.grade_probabilities.values()) < 1.0
        # The projected grade is the band that holds the median of the essay's grade.
        projected = essay.projected_grade
        assert projected is not None
        grades = list(essay.grade_probabilities)
        shares = [essay.grade_probabilities[g] for g in grades[: grades.index(projected)]]
        below = float(sum(shares))
        assert below < 0.5 <= below + essay.grade_probabilities[projected]
    anchor_ids = {str(a.id) for a in h.state.anchors.values()}
    for task in judge.tasks:
        seen = f"{task.essay_a} {task.essay_b} {task.options}"
        assert "anchor" not in seen.lower()
        assert not any(anchor_id in seen for anchor_id in anchor_ids)
    assert h.state.assessments[assessment.id].grade_scale == GradeScaleId.SWEDISH_A_F.value


async def test_anchors_of_one_grade_are_left_out_and_results_say_ungraded(
    harness: MakeHarness,
) -> None:
    h = await harness()
    await register(h, [("C", 0.0), ("C", 0.5)])
    batch = await h.provision([-1.0, 0.0, 1.0])
    assessment = await h.start(
        BatchAssessment(user_id=TEACHER, org_id=None, batch_id=batch, correlation_id=uuid4())
    )
    assert len(h.state.participants[assessment.id]) == 3
    await h.worker.drain()
    (result,) = h.state.events(AssessmentResultV1)
    assert result.grade_scale is None
    assert not any(r.is_anchor or r.grade_probabilities for r in result.essay_results)


async def test_anchor_grades_must_be_on_the_scale(harness: MakeHarness) -> None:
    h = await harness()
    with pytest.raises(InvalidRequest):
        await register(h, [("7", 0.0)])
    with pytest.raises(InvalidRequest):
        await h.anchors.register(
            RegisterAnchors(
                user_id=TEACHER, course_code=CourseCode.ENG5, anchors=[NewAnchor("C", "   ")]
            )
        )
    assert not h.state.anchors
    listed = await h.anchors.list(TEACHER, None, None)
    assert listed == []


async def test_the_batch_limit_is_enforced(harness: MakeHarness) -> None:
    h = await harness()
    h.factory.defaults = type(h.factory.defaults)(
        h.factory.defaults.design, h.factory.defaults.judge_kind, max_essays=3, max_anchors=0
    )
    batch = await h.provision([0.0] * 4)
    with pytest.raises(InvalidRequest):
        await h.start(
            BatchAssessment(user_id=TEACHER, org_id=None, batch_id=batch, correlation_id=uuid4())
        )
    envelope = els_request(h, 5)
    await h.on_request(envelope)
    (event,) = h.state.events(CJAssessmentFailedV1)
    assert event.error_detail.error_code == ErrorCode.VALIDATION_ERROR
