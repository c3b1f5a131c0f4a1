from collections.abc import Iterator

import pytest

from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from services.class_management_service.tests.fakes import (
    FakeNotifier,
    FakeUnitOfWork,
    InMemoryDatabase,
    ManualClock,
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
def uow(db: InMemoryDatabase, notifier: FakeNotifier) -> FakeUnitOfWork:
    return FakeUnitOfWork(db, notifier)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
