import asyncio

import pytest
import structlog
from dishka import make_async_container

from huleedu_service_libs.correlation import (
    CorrelationContext,
    CorrelationProvider,
    MissingCorrelationError,
    correlation_scope,
    current_correlation,
    require_correlation,
)


def test_scope_sets_and_restores_the_context() -> None:
    outer = CorrelationContext.from_header("outer")
    inner = CorrelationContext.from_header("inner")

    with correlation_scope(outer):
        with correlation_scope(inner):
            assert current_correlation() == inner
        assert current_correlation() == outer
    assert current_correlation() is None


def test_scope_binds_the_ids_into_structlog_context() -> None:
    context = CorrelationContext.from_header("abc")

    with correlation_scope(context):
        bound = structlog.contextvars.get_contextvars()
        assert bound["correlation_id"] == str(context.uuid)
        assert bound["original_correlation_id"] == "abc"
    assert "correlation_id" not in structlog.contextvars.get_contextvars()


def test_scope_is_restored_when_the_body_raises() -> None:
    with pytest.raises(ValueError, match="boom"), correlation_scope(CorrelationContext.generate()):
        raise ValueError("boom")

    assert current_correlation() is None


def test_require_without_a_context_raises() -> None:
    with pytest.raises(MissingCorrelationError):
        require_correlation()


async def test_concurrent_tasks_keep_their_own_context() -> None:
    async def handle(header: str) -> str:
        with correlation_scope(CorrelationContext.from_header(header)):
            await asyncio.sleep(0)
            return require_correlation().original

    results = await asyncio.gather(*(handle(f"message-{n}") for n in range(20)))

    assert results == [f"message-{n}" for n in range(20)]


async def test_provider_gives_the_active_context_per_request_scope() -> None:
    container = make_async_container(CorrelationProvider())
    context = CorrelationContext.from_header("from-kafka")
    try:
        with correlation_scope(context):
            async with container() as request_container:
                assert await request_container.get(CorrelationContext) == context
    finally:
        await container.close()
