"""Strict validation of the LLM judge's answer: anything but the exact schema is a failure."""

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.cj_assessment_service.domain.judging import JudgeAnswerInvalid, Position

MAX_JUSTIFICATION_CHARS = 2000


class JudgeAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    winner: Position
    confidence: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    justification: str = Field(min_length=1, max_length=MAX_JUSTIFICATION_CHARS)


def parse_answer(content: str | None) -> JudgeAnswer:
    if content is None or not content.strip():
        raise JudgeAnswerInvalid("the judge returned no content")
    try:
        raw = json.loads(content)
    except json.JSONDecodeError as error:
        raise JudgeAnswerInvalid(f"the answer is not JSON: {error.msg}") from None
    if not isinstance(raw, dict):
        raise JudgeAnswerInvalid("the answer is not a JSON object")
    return _validated(_with_int_confidence(raw))


def _with_int_confidence(raw: dict[str, Any]) -> dict[str, Any]:
    # JSON has one number type: 1 and 1.0 are the same confidence; strict mode would refuse 1.
    confidence = raw.get("confidence")
    if isinstance(confidence, int) and not isinstance(confidence, bool):
        return {**raw, "confidence": float(confidence)}
    return raw


def _validated(raw: dict[str, Any]) -> JudgeAnswer:
    try:
        return JudgeAnswer.model_validate({**raw, "winner": _position(raw.get("winner"))})
    except ValidationError as error:
        fields = ", ".join(".".join(map(str, issue["loc"])) for issue in error.errors())
        raise JudgeAnswerInvalid(f"the answer does not match the schema ({fields})") from None


def _position(value: object) -> object:
    # Strict mode wants the enum member itself; only the exact strings "A" and "B" qualify.
    return Position(value) if value in ("A", "B") else value
