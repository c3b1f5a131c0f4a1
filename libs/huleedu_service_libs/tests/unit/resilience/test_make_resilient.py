import pytest
from pydantic_settings import SettingsConfigDict

from huleedu_service_libs.config import SecureServiceSettings, load_settings
from huleedu_service_libs.resilience import (
    BreakerState,
    CircuitBreaker,
    CircuitBreakerRegistry,
    CircuitOpenError,
    make_resilient,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Dependency:
    def __init__(self) -> None:
        self.healthy = True
        self.calls = 0
        self.base_url = "http://judge"

    async def fetch(self, value: str, *, suffix: str = "") -> str:
        self.calls += 1
        if not self.healthy:
            raise ConnectionError("down")
        return value.upper() + suffix

    def describe(self) -> str:
        return f"dependency at {self.base_url}"


def state_of(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state


async def test_coroutine_methods_go_through_the_breaker_with_their_arguments() -> None:
    dependency = Dependency()
    breaker = CircuitBreaker("dep", failure_threshold=1, recovery_timeout=30, clock=FakeClock())
    resilient = make_resilient(dependency, breaker)
    assert await resilient.fetch("a", suffix="!") == "A!"
    dependency.healthy = False
    with pytest.raises(ConnectionError):
        await resilient.fetch("b")
    with pytest.raises(CircuitOpenError):
        await resilient.fetch("c")
    assert dependency.calls == 2  # the open circuit did not call it
    assert state_of(breaker) is BreakerState.OPEN


def test_plain_methods_and_attributes_are_the_clients_own() -> None:
    dependency = Dependency()
    resilient = make_resilient(dependency, CircuitBreaker("dep"))
    assert resilient.describe() == "dependency at http://judge"
    assert resilient.base_url == "http://judge"
    assert resilient.fetch.__name__ == "fetch"
    with pytest.raises(AttributeError):
        resilient.missing  # type: ignore[attr-defined]  # noqa: B018


def test_the_registry_shares_one_breaker_per_name() -> None:
    registry = CircuitBreakerRegistry(failure_threshold=2, recovery_timeout=7, clock=FakeClock())
    first = registry.get("external_client")
    assert registry.get("external_client") is first
    assert registry.get("llm_judge") is not first
    assert first.name == "external_client"


async def test_two_clients_of_one_dependency_see_the_same_circuit() -> None:
    registry = CircuitBreakerRegistry(failure_threshold=1, recovery_timeout=30, clock=FakeClock())
    shared = Dependency()
    shared.healthy = False
    first = make_resilient(shared, registry.get("judge"))
    second = make_resilient(shared, registry.get("judge"))
    with pytest.raises(ConnectionError):
        await first.fetch("x")
    with pytest.raises(CircuitOpenError):
        await second.fetch("x")
    assert shared.calls == 1


async def test_the_registry_thresholds_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    class Settings(SecureServiceSettings):
        model_config = SettingsConfigDict(env_prefix="REGISTRY_DEMO_")

    monkeypatch.setenv("REGISTRY_DEMO_DATABASE_URL", "postgresql+asyncpg://x/y")
    monkeypatch.setenv("REGISTRY_DEMO_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "1")
    monkeypatch.setenv("REGISTRY_DEMO_CIRCUIT_BREAKER_RECOVERY_TIMEOUT_SECONDS", "5")
    clock = FakeClock()
    breaker = CircuitBreakerRegistry.from_settings(load_settings(Settings), clock=clock).get("x")
    dependency = Dependency()
    dependency.healthy = False
    with pytest.raises(ConnectionError):
        await make_resilient(dependency, breaker).fetch("x")
    assert state_of(breaker) is BreakerState.OPEN
    clock.now += 5
    assert state_of(breaker) is BreakerState.HALF_OPEN
