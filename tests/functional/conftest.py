from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.functional.platform import Platform, start_platform, stop_platform


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def platform() -> AsyncIterator[Platform]:
    """The whole platform, started once for the journey tests and stopped after them."""
    running = await start_platform()
    yield running
    await stop_platform(running)
