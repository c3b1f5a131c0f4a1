from collections.abc import AsyncIterator

import pytest

from services.cj_assessment_service.tests.support.harness import MakeHarness, harnesses


@pytest.fixture
async def harness() -> AsyncIterator[MakeHarness]:
    async with harnesses() as make:
        yield make
