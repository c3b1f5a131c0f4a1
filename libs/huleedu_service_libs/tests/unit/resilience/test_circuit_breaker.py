import asyncio

import pytest
from pydantic_settings import SettingsConfigDict

from huleedu_service_libs.config import SecureServiceSettings, load_settings
from huleedu_service_libs.resilience import BreakerState, CircuitBreaker, CircuitOpenError


def state_of(breaker: CircuitBreaker) -> BreakerState:
    """Read afresh each time: the state changes with the clock, which mypy cannot see."""
    return breaker.state


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Dependency:
    def __init__(self) -> None:
        self.healthy = True
        self.calls = 0

    async def fetch(self, value: str) -> str:
        self.calls += 1
        if not self.healthy:
            raise ConnectionError("down")
        return value.upper()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker("essays", failure_threshold=3, recovery_timeout=30.0, clock=clock)


async def fail_times(breaker: CircuitBreaker, dependency: Dependency, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError):
            await breaker.call(dependency.fetch, "x")


async def test_passes_results_through_while_closed(breaker: CircuitBreaker) -> None:
    assert await breaker.call(Dependency().fetch, "ok") == "OK"
    assert state_of(breaker) is BreakerState.CLOSED


async def test_opens_after_threshold_and_fails_fast(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    dependency = Dependency()
    dependency.healthy = False
    await fail_times(breaker, dependency, 3)

    clock.advance(10)
    with pytest.raises(CircuitOpenError) as raised:
        await breaker.call(dependency.fetch, "x")

    assert state_of(breaker) is BreakerState.OPEN
    assert dependency.calls == 3
    assert raised.value.retry_after_seconds == pytest.approx(20.0)


async def test_a_success_resets_the_failure_count(breaker: CircuitBreaker) -> None:
    dependency = Dependency()
    dependency.healthy = False
    await fail_times(breaker, dependency, 2)
    dependency.healthy = True
    await breaker.call(dependency.fetch, "x")
    dependency.healthy = False
    await fail_times(breaker, dependency, 2)

    assert state_of(breaker) is BreakerState.CLOSED


async def test_half_open_success_closes_the_circuit(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    dependency = Dependency()
    dependency.healthy = False
    await fail_times(breaker, dependency, 3)
    clock.advance(30)
    assert state_of(breaker) is BreakerState.HALF_OPEN

    dependency.healthy = True
    assert await breaker.call(dependency.fetch, "back") == "BACK"
    assert state_of(breaker) is BreakerState.CLOSED


async def test_half_open_failure_reopens_for_a_full_timeout(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    dependency = Dependency()
    dependency.healthy = False
    await fail_times(breaker, dependency, 3)
    clock.advance(30)

    await fail_times(breaker, dependency, 1)

    assert state_of(breaker) is BreakerState.OPEN
    clock.advance(29)
    assert state_of(breaker) is BreakerState.OPEN
    clock.advance(1)
    assert state_of(breaker) is BreakerState.HALF_OPEN


async def test_half_open_admits_one_trial_at_a_time(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    dependency = Dependency()
    dependency.healthy = False
    await fail_times(breaker, dependency, 3)
    clock.advance(30)
    release = asyncio.Event()

    async def slow_trial() -> str:
        await release.wait()
        return "done"

    trial = asyncio.create_task(breaker.call(slow_trial))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpenError):
        await breaker.call(dependency.fetch, "second")
    release.set()

    assert await trial == "done"
    assert state_of(breaker) is BreakerState.CLOSED


async def test_cancelled_trial_frees_the_slot(breaker: CircuitBreaker, clock: FakeClock) -> None:
    dependency = Dependency()
    dependency.healthy = False
    await fail_times(breaker, dependency, 3)
    clock.advance(30)

    trial = asyncio.create_task(breaker.call(asyncio.sleep, 10))
    await asyncio.sleep(0)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial

    assert state_of(breaker) is BreakerState.HALF_OPEN
    dependency.healthy = True
    assert await breaker.call(dependency.fetch, "y") == "Y"


async def test_exceptions_that_are_not_failures_do_not_open(clock: FakeClock) -> None:
    breaker = CircuitBreaker(
        "x",
        failure_threshold=1,
        is_failure=lambda error: not isinstance(error, KeyError),
        clock=clock,
    )

    async def not_found() -> None:
        raise KeyError("missing")

    for _ in range(3):
        with pytest.raises(KeyError):
            await breaker.call(not_found)
    assert state_of(breaker) is BreakerState.CLOSED


def test_thresholds_come_from_settings(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    class Settings(SecureServiceSettings):
        model_config = SettingsConfigDict(env_prefix="BREAKER_DEMO_")

    monkeypatch.setenv("BREAKER_DEMO_DATABASE_URL", "postgresql+asyncpg://x/y")
    monkeypatch.setenv("BREAKER_DEMO_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "1")
    monkeypatch.setenv("BREAKER_DEMO_CIRCUIT_BREAKER_RECOVERY_TIMEOUT_SECONDS", "5")
    breaker = CircuitBreaker.from_settings("x", load_settings(Settings), clock=clock)

    async def broken() -> None:
        raise ConnectionError

    with pytest.raises(ConnectionError):
        asyncio.run(breaker.call(broken))
    assert state_of(breaker) is BreakerState.OPEN
    clock.advance(5)
    assert state_of(breaker) is BreakerState.HALF_OPEN


def test_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker("x", failure_threshold=0)
