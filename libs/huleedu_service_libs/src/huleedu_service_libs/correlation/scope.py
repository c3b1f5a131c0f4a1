"""The correlation context of the current task, for HTTP requests and consumed messages alike."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

import structlog

from huleedu_service_libs.correlation.context import CorrelationContext

_current: ContextVar[CorrelationContext | None] = ContextVar("huleedu_correlation", default=None)


class MissingCorrelationError(RuntimeError):
    pass


@dataclass(frozen=True)
class CorrelationToken:
    context_token: Token[CorrelationContext | None]
    log_tokens: Mapping[str, Token[Any]]


def current_correlation() -> CorrelationContext | None:
    return _current.get()


def require_correlation() -> CorrelationContext:
    context = _current.get()
    if context is None:
        raise MissingCorrelationError("no correlation context is active in this task")
    return context


def activate_correlation(context: CorrelationContext) -> CorrelationToken:
    log_tokens = structlog.contextvars.bind_contextvars(**log_fields(context))
    return CorrelationToken(context_token=_current.set(context), log_tokens=log_tokens)


def deactivate_correlation(token: CorrelationToken) -> None:
    structlog.contextvars.reset_contextvars(**token.log_tokens)
    _current.reset(token.context_token)


@contextmanager
def correlation_scope(context: CorrelationContext) -> Iterator[CorrelationContext]:
    token = activate_correlation(context)
    try:
        yield context
    finally:
        deactivate_correlation(token)


def log_fields(context: CorrelationContext) -> dict[str, str]:
    return {"correlation_id": str(context.uuid), "original_correlation_id": context.original}
