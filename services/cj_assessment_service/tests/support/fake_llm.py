"""A fake OpenAI-compatible chat-completions server with scripted answers."""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from quart import Quart, Response, request

QUALITY = re.compile(r"quality (-?\d+(?:\.\d+)?)")


@dataclass
class Scripted:
    status: int = 200
    content: str | None = None  # the assistant message; None: answer from the essays
    raw_body: str | None = None  # replaces the whole response body
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    refusal: str | None = None
    finish_reason: str = "stop"


class FakeLlm:
    """By default answers like a perfect judge: the essay with the higher 'quality N' wins."""

    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.app = Quart("fake_llm")
        self.app.add_url_rule("/v1/chat/completions", view_func=self._complete, methods=["POST"])

    def then(self, *answers: Scripted) -> FakeLlm:
        self.script.extend(answers)
        return self

    async def _complete(self) -> Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer()
        finally:
            self.in_flight -= 1

    async def _answer(self) -> Response:
        body = await request.get_json()
        self.requests.append({"body": body, "headers": dict(request.headers)})
        scripted = self.script.popleft() if self.script else Scripted()
        if scripted.delay:
            await asyncio.sleep(scripted.delay)
        if scripted.raw_body is not None or scripted.status != 200:
            text = scripted.raw_body if scripted.raw_body is not None else '{"error": "x"}'
            return Response(text, status=scripted.status, headers=scripted.headers)
        content = scripted.content if scripted.content is not None else _perfect_answer(body)
        return Response(
            json.dumps(_completion(content, scripted)),
            status=200,
            content_type="application/json",
        )


def _perfect_answer(body: dict[str, Any]) -> str:
    user = body["messages"][-1]["content"]
    essay_a, essay_b = user.split("Essay B:")
    winner = "A" if _quality(essay_a) >= _quality(essay_b) else "B"
    return json.dumps({"winner": winner, "confidence": 0.8, "justification": "Clearer argument."})


def _quality(text: str) -> float:
    found = QUALITY.findall(text)
    return float(found[-1]) if found else 0.0


def _completion(content: str, scripted: Scripted) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if scripted.refusal is not None:
        message = {"role": "assistant", "content": None, "refusal": scripted.refusal}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": scripted.finish_reason}],
    }
