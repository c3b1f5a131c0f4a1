from __future__ import annotations

import pytest

from huleedu_service_libs.testing.probes import wait_until


async def test_wait_until_returns_once_the_condition_holds() -> None:
    answers = iter([False, False, True])

    async def third_time() -> bool:
        return next(answers)

    await wait_until(third_time, timeout=5, interval=0.001)
    assert next(answers, "exhausted") == "exhausted"


async def test_wait_until_names_what_never_held() -> None:
    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"the relay's batch not met within 0\.05 s"):
        await wait_until(never, timeout=0.05, interval=0.01, what="the relay's batch")
