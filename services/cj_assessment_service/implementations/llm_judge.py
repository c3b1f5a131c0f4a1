"""The LLM judge: OpenAI-compatible chat completions over httpx.

Retries timeouts, 429s and server errors with exponential backoff (honouring Retry-After); a
concurrency limit caps calls in flight; a circuit breaker stops calling a provider that keeps
failing. An answer that arrives but is unusable is never retried here and never a default win.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from common_core.domain_enums import JudgeKind
from huleedu_service_libs.resilience import CircuitBreaker, CircuitOpenError
from services.cj_assessment_service.domain.judging import (
    JudgeAnswerInvalid,
    JudgeTask,
    JudgeUnavailable,
    JudgeVerdict,
)
from services.cj_assessment_service.domain.llm_answer import JudgeAnswer, parse_answer
from services.cj_assessment_service.domain.prompts import PROMPT_VERSION, build_messages

Sleep = Callable[[float], Awaitable[None]]
_REFUSING_FINISH_REASONS = {"content_filter", "length"}


@dataclass(frozen=True)
class LlmJudgeConfig:
    base_url: str
    model: str
    api_key: SecretStr
    temperature: float = 0.0
    max_tokens: int = 400
    timeout_seconds: float = 60.0
    max_attempts: int = 3
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    concurrency: int = 8


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _counts_against_provider(error: Exception) -> bool:
    return not isinstance(error, JudgeAnswerInvalid)  # a bad answer means the provider is up


def build_breaker(threshold: int, recovery_seconds: float) -> CircuitBreaker:
    return CircuitBreaker(
        "llm_judge",
        failure_threshold=threshold,
        recovery_timeout=recovery_seconds,
        is_failure=_counts_against_provider,
    )


class LlmJudge:
    def __init__(
        self,
        client: httpx.AsyncClient,
        config: LlmJudgeConfig,
        breaker: CircuitBreaker,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.breaker = breaker
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(config.concurrency)

    @property
    def kind(self) -> JudgeKind:
        return JudgeKind.LLM

    async def judge(self, task: JudgeTask) -> JudgeVerdict:
        async with self._slots:
            answer = await self._answer(task)
        model = task.options.model or self.config.model
        identity = f"llm:{model};prompt={PROMPT_VERSION}"
        return JudgeVerdict(answer.winner, answer.confidence, answer.justification, identity)

    async def _answer(self, task: JudgeTask) -> JudgeAnswer:
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                return await self.breaker.call(self._ask, task)
            except CircuitOpenError as error:
                raise JudgeUnavailable(str(error), error.retry_after_seconds) from None
            except _Retryable as error:
                if attempt == self.config.max_attempts:
                    raise JudgeUnavailable(str(error), error.retry_after) from None
                await self._sleep(self._backoff(attempt, error.retry_after))
        raise AssertionError("unreachable")  # the loop returns or raises

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = self.config.backoff_base_seconds * 2.0 ** (attempt - 1)
        jittered = delay * (0.5 + self._rng.random() / 2)
        return min(max(jittered, retry_after or 0.0), self.config.backoff_max_seconds)

    async def _ask(self, task: JudgeTask) -> JudgeAnswer:
        try:
            response = await self.client.post(
                "/chat/completions",
                json=self._body(task),
                headers={"Authorization": f"Bearer {self.config.api_key.get_secret_value()}"},
                timeout=self.config.timeout_seconds,
            )
        except httpx.TimeoutException:
            raise _Retryable("the judge timed out") from None
        except httpx.TransportError as error:
            raise _Retryable(f"the judge is unreachable ({type(error).__name__})") from None
        return _answer_from(response)

    def _body(self, task: JudgeTask) -> dict[str, Any]:
        options = task.options
        return {
            "model": options.model or self.config.model,
            "messages": build_messages(task),
            "temperature": self.config.temperature
            if options.temperature is None
            else options.temperature,
            "max_tokens": options.max_tokens or self.config.max_tokens,
            "response_format": {"type": "json_object"},
        }


def _answer_from(response: httpx.Response) -> JudgeAnswer:
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Retryable(f"the judge answered {status}", _retry_after(response))
    if status != 200:
        raise JudgeUnavailable(f"the judge refused the request with {status}")
    try:
        choice = response.json()["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise JudgeAnswerInvalid("the response is not a chat completion") from None
    if not isinstance(message, dict):
        raise JudgeAnswerInvalid("the response is not a chat completion")
    if message.get("refusal"):
        raise JudgeAnswerInvalid(f"the judge refused: {str(message['refusal'])[:200]}")
    if choice.get("finish_reason") in _REFUSING_FINISH_REASONS:
        raise JudgeAnswerInvalid(f"the answer was cut off ({choice['finish_reason']})")
    content = message.get("content")
    return parse_answer(content if isinstance(content, str) else None)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
