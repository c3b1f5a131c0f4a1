"""The LLM judge against a real local HTTP server that speaks the chat-completions API."""

import asyncio
import json
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest
from pydantic import SecretStr

from common_core.courses import CourseCode, Language
from services.cj_assessment_service.domain.judging import (
    JudgeAnswerInvalid,
    JudgeOptions,
    JudgeTask,
    JudgeUnavailable,
    Position,
)
from services.cj_assessment_service.domain.prompts import PROMPT_VERSION
from services.cj_assessment_service.implementations.llm_judge import (
    LlmJudge,
    LlmJudgeConfig,
    build_breaker,
)
from services.cj_assessment_service.tests.support.fake_llm import FakeLlm, Scripted
from services.cj_assessment_service.tests.support.servers import serving

ESSAY_A = "Essay text one, quality 2."
ESSAY_B = "Essay text two, quality 5."


def answer(**fields: object) -> str:
    return json.dumps({"winner": "A", "confidence": 0.7, "justification": "Better.", **fields})


def task(**options: object) -> JudgeTask:
    return JudgeTask(
        comparison_id=uuid4(),
        essay_a=ESSAY_A,
        essay_b=ESSAY_B,
        course_code=CourseCode.ENG6,
        language=Language.ENGLISH,
        options=JudgeOptions(**options),  # type: ignore[arg-type]
    )


class Rig:
    def __init__(self, fake: FakeLlm, url: str) -> None:
        self.fake = fake
        self.url = url
        self.sleeps: list[float] = []
        self.clients: list[httpx.AsyncClient] = []

    def judge(self, **config: object) -> LlmJudge:
        settings: dict[str, object] = {
            "max_attempts": 3,
            "backoff_base_seconds": 0.01,
            "timeout_seconds": 2.0,
        }
        settings.update(config)
        threshold = int(str(settings.pop("breaker_threshold", 50)))
        client = httpx.AsyncClient(base_url=f"{self.url}/v1")
        self.clients.append(client)
        cfg = LlmJudgeConfig(
            base_url=f"{self.url}/v1",
            model="judge-model",
            api_key=SecretStr("sk-test"),
            **settings,  # type: ignore[arg-type]
        )

        async def record_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        return LlmJudge(client, cfg, build_breaker(threshold, 60.0), sleep=record_sleep)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    fake = FakeLlm()
    async with serving(fake.app) as url:
        built = Rig(fake, url)
        yield built
        for client in built.clients:
            await client.aclose()


async def test_a_valid_answer_becomes_a_verdict(rig: Rig) -> None:
    rig.fake.then(Scripted(content=answer(winner="B", confidence=0.9)))
    verdict = await rig.judge().judge(task())
    assert (verdict.winner, verdict.confidence, verdict.judge) == (
        Position.B,
        0.9,
        f"llm:judge-model;prompt={PROMPT_VERSION}",
    )
    sent = rig.fake.requests[0]
    assert sent["headers"]["Authorization"] == "Bearer sk-test"
    body = sent["body"]
    assert body["model"] == "judge-model"
    assert body["response_format"] == {"type": "json_object"}
    user = body["messages"][-1]["content"]
    assert user.index(ESSAY_A) < user.index("Essay B:") < user.index(ESSAY_B)


async def test_request_overrides_reach_the_provider(rig: Rig) -> None:
    await rig.judge().judge(task(model="other-model", temperature=0.4, max_tokens=99))
    body = rig.fake.requests[0]["body"]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("other-model", 0.4, 99)


@pytest.mark.parametrize(
    "content",
    [
        "Essay A is clearly better.",
        "",
        "[]",
        answer(winner="Essay A"),
        answer(winner="a"),
        answer(winner="C"),
        answer(winner=None),
        answer(confidence=1.5),
        answer(confidence="high"),
        answer(justification=""),
        answer(extra="field"),
        json.dumps({"winner": "A", "justification": "no confidence"}),
        "```json\n" + answer() + "\n```",
    ],
)
async def test_unusable_answers_are_failures_never_a_winner(rig: Rig, content: str) -> None:
    rig.fake.then(Scripted(content=content))
    with pytest.raises(JudgeAnswerInvalid):
        await rig.judge().judge(task())
    assert len(rig.fake.requests) == 1  # an unusable answer is not retried by the judge


@pytest.mark.parametrize(
    "scripted",
    [
        Scripted(refusal="I cannot help with that."),
        Scripted(content=answer(), finish_reason="length"),
        Scripted(content=answer(), finish_reason="content_filter"),
        Scripted(raw_body="not json at all"),
        Scripted(raw_body='{"choices": []}'),
        Scripted(raw_body='{"choices": [{"message": "text"}]}'),
    ],
)
async def test_refusals_and_broken_completions_are_failures(rig: Rig, scripted: Scripted) -> None:
    rig.fake.then(scripted)
    with pytest.raises(JudgeAnswerInvalid):
        await rig.judge().judge(task())


async def test_rate_limits_are_retried_after_the_providers_delay(rig: Rig) -> None:
    rig.fake.then(Scripted(status=429, headers={"Retry-After": "0.5"}), Scripted(content=answer()))
    verdict = await rig.judge().judge(task())
    assert verdict.winner is Position.A
    assert len(rig.fake.requests) == 2
    assert rig.sleeps
    assert rig.sleeps[0] >= 0.5


async def test_server_errors_are_retried_then_reported_unavailable(rig: Rig) -> None:
    rig.fake.then(*[Scripted(status=503)] * 3)
    with pytest.raises(JudgeUnavailable):
        await rig.judge().judge(task())
    assert len(rig.fake.requests) == 3
    assert len(rig.sleeps) == 2
    assert rig.sleeps[1] > rig.sleeps[0] / 2  # exponential, with jitter in [d/2, d)


async def test_timeouts_are_retried_then_reported_unavailable(rig: Rig) -> None:
    rig.fake.then(*[Scripted(delay=1.0, content=answer())] * 2)
    with pytest.raises(JudgeUnavailable):
        await rig.judge(timeout_seconds=0.2, max_attempts=2).judge(task())
    assert len(rig.fake.requests) == 2


async def test_a_client_error_is_not_retried(rig: Rig) -> None:
    rig.fake.then(Scripted(status=401))
    with pytest.raises(JudgeUnavailable):
        await rig.judge().judge(task())
    assert len(rig.fake.requests) == 1


async def test_the_circuit_opens_after_repeated_failures(rig: Rig) -> None:
    rig.fake.then(*[Scripted(status=500)] * 4)
    judge = rig.judge(max_attempts=1, breaker_threshold=2)
    for _ in range(2):
        with pytest.raises(JudgeUnavailable):
            await judge.judge(task())
    with pytest.raises(JudgeUnavailable) as opened:
        await judge.judge(task())
    assert len(rig.fake.requests) == 2  # the third call never reached the provider
    assert opened.value.retry_after_seconds is not None


async def test_unusable_answers_do_not_open_the_circuit(rig: Rig) -> None:
    rig.fake.then(*[Scripted(content="garbage")] * 3, Scripted(content=answer()))
    judge = rig.judge(breaker_threshold=2)
    for _ in range(3):
        with pytest.raises(JudgeAnswerInvalid):
            await judge.judge(task())
    assert (await judge.judge(task())).winner is Position.A


async def test_concurrency_is_limited(rig: Rig) -> None:
    rig.fake.then(*[Scripted(delay=0.15, content=answer())] * 6)
    judge = rig.judge(concurrency=2)
    verdicts = await asyncio.gather(*(judge.judge(task()) for _ in range(6)))
    assert len(verdicts) == 6
    assert rig.fake.max_in_flight == 2
