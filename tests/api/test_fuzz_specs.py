"""Property-based: requests drawn from each service's own OpenAPI document, sent to the app on
the real test servers (PostgreSQL, Redis), never answered with a 5xx; every error an ErrorDetail
with the caller's correlation id; every documented JSON answer matching its schema.

Operations that create run first and those that delete last; every other draw names ids the
service gave out earlier, so reads, updates and deletes also meet resources that exist.

Bounded for CI: EXAMPLES draws per operation (12; HULEEDU_FUZZ_EXAMPLES for a longer run), about
40 operations over the four services.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.apps import SERVICE_DIRS, SERVICES, Urls, build, cj_externals
from tests.api.fuzzing import examples, ids_in, operations, problems, request_strategy, send

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EXAMPLES = int(os.environ.get("HULEEDU_FUZZ_EXAMPLES", "12"))


@pytest.fixture(params=SERVICES)
async def client(
    request: pytest.FixtureRequest,
    migrated_database: Callable[[Path], Awaitable[str]],
    redis_url: str,
    tmp_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    name: str = request.param
    async with AsyncExitStack() as stack:
        externals = (
            await stack.enter_async_context(cj_externals()) if name == "cj_service" else None
        )
        urls = Urls(await migrated_database(SERVICE_DIRS[name]), redis_url, externals)
        app = build(name, tmp_path, urls)
        await stack.enter_async_context(app.test_app())  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        yield await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://service", timeout=30)
        )


async def test_no_drawn_request_gets_a_5xx_and_every_answer_is_documented(
    client: httpx.AsyncClient,
) -> None:
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    failures: list[str] = []
    sent, known = 0, list[str]()
    for method, path, operation in operations(document):
        strategy = request_strategy(document, method, path, operation)
        for number, example in enumerate(examples(strategy, EXAMPLES)):
            # Every other draw names ids the service gave out earlier in the run.
            drawn = example.with_ids(known, number // 2) if number % 2 == 0 else example
            correlation = f"fuzz-{method}-{number}"
            response = await send(client, drawn, correlation)
            sent += 1
            if response.is_success and response.headers.get("content-type") == "application/json":
                known.extend(ids_in(response.json()))
            failures += [
                f"{method} {drawn.path} {drawn.query} {str(drawn.json_body)[:200]}: {problem}"
                for problem in problems(document, operation, response, correlation)
            ]
    assert sent >= EXAMPLES
    assert failures == [], "\n".join(failures[:30])
