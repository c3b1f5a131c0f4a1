from uuid import uuid4

import pytest

from common_core.courses import CourseCode
from services.cj_assessment_service.domain.judging import JudgeAnswerInvalid, JudgeTask, Position
from services.cj_assessment_service.domain.llm_answer import parse_answer
from services.cj_assessment_service.domain.prompts import build_messages


def task(course: CourseCode) -> JudgeTask:
    return JudgeTask(uuid4(), "First text.", "Second text.", course, course.language)


def test_the_prompt_holds_the_rubric_and_the_two_texts_only() -> None:
    messages = build_messages(task(CourseCode.ENG7))
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "English 7" in user
    assert user.index("Essay A:") < user.index("First text.") < user.index("Essay B:")
    assert user.index("Essay B:") < user.index("Second text.")
    assert "JSON" in messages[0]["content"]


def test_swedish_courses_get_a_swedish_rubric() -> None:
    messages = build_messages(task(CourseCode.SV3))
    assert "Svenska 3" in messages[1]["content"]
    assert "svensklärare" in messages[0]["content"]


def test_a_well_formed_answer_parses() -> None:
    answer = parse_answer('{"winner": "B", "confidence": 1, "justification": "Sharper."}')
    assert (answer.winner, answer.confidence) == (Position.B, 1.0)


@pytest.mark.parametrize(
    "content",
    [
        None,
        "null",
        '{"winner": true, "confidence": 0.5, "justification": "x"}',
        '{"winner": "A", "confidence": true, "justification": "x"}',
        '{"winner": "A", "confidence": NaN, "justification": "x"}',
        '{"winner": "A", "confidence": 0.5, "justification": 5}',
        '{"winner": "A", "confidence": 0.5, "justification": "' + "x" * 2001 + '"}',
    ],
)
def test_anything_else_is_refused(content: str | None) -> None:
    with pytest.raises(JudgeAnswerInvalid):
        parse_answer(content)
