from collections.abc import AsyncIterator, Iterator

import pytest

from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from services.class_management_service.config import Settings
from services.class_management_service.protocols import UnitOfWork
from services.class_management_service.tests.fakes import (
    FakeNotifier,
    InMemoryDatabase,
    ManualClock,
)
from services.class_management_service.tests.wiring import (
    UseCases,
    in_memory_use_cases,
    unit_settings,
)

TEACHER = "teacher-1"
OTHER_TEACHER = "teacher-2"


@pytest.fixture(autouse=True)
def correlation() -> Iterator[CorrelationContext]:
    context = CorrelationContext.from_header("unit-test")
    with correlation_scope(context):
        yield context


@pytest.fixture
def db() -> InMemoryDatabase:
    return InMemoryDatabase()


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings() -> Settings:
    return unit_settings()


@pytest.fixture
async def use_cases(
    settings: Settings, db: InMemoryDatabase, clock: ManualClock, notifier: FakeNotifier
) -> AsyncIterator[UseCases]:
    async with in_memory_use_cases(settings, db, clock, notifier) as use_cases:
        yield use_cases


@pytest.fixture
def uow(use_cases: UseCases) -> UnitOfWork:
    return use_cases.uow
