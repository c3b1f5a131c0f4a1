"""The production container with a test's fakes swapped in: the use cases are resolved exactly
as the app and the worker resolve them, never wired a second time by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from dishka import AsyncContainer, Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.redis import Notifier
from services.class_management_service.config import Settings, load_service_settings
from services.class_management_service.handlers.classes import ClassHandlers
from services.class_management_service.handlers.review import ReviewHandlers
from services.class_management_service.handlers.roster import RosterHandlers
from services.class_management_service.handlers.roster_import import RosterImportHandler
from services.class_management_service.handlers.students import StudentHandlers
from services.class_management_service.handlers.suggestions import SuggestionHandler
from services.class_management_service.handlers.timeout_monitor import (
    AssociationTimeoutMonitor,
)
from services.class_management_service.protocols import UnitOfWork
from services.class_management_service.startup_setup import build_container
from services.class_management_service.tests.fakes import (
    FakeNotifier,
    FakeUnitOfWork,
    InMemoryDatabase,
    ManualClock,
)

# Unit tests build the production engine, which connects on first use only: nothing uses it.
UNCONNECTED_DATABASE = "postgresql+asyncpg://unit-tests@127.0.0.1:9/never_connected"


class ManualClockProvider(Provider):
    def __init__(self, clock: ManualClock) -> None:
        super().__init__(scope=Scope.APP)
        self._clock = clock

    @provide
    def clock(self) -> Clock:
        return self._clock


class FakeNotifierProvider(Provider):
    def __init__(self, notifier: FakeNotifier) -> None:
        super().__init__(scope=Scope.APP)
        self._notifier = notifier

    @provide
    def notifier(self) -> Notifier:
        return self._notifier


class InMemoryStorageProvider(Provider):
    def __init__(self, db: InMemoryDatabase) -> None:
        super().__init__(scope=Scope.REQUEST)
        self._db = db

    @provide
    def unit_of_work(self, envelopes: EnvelopeFactory) -> UnitOfWork:
        return FakeUnitOfWork(self._db, envelopes)


def container_with(settings: Settings, engine: AsyncEngine, *fakes: Provider) -> AsyncContainer:
    """The worker's container (no HTTP request to read), the fakes replacing what they give."""
    return build_container(settings, engine, *fakes, http=False)


@dataclass(frozen=True)
class UseCases:
    """Every use case of one request scope, sharing its unit of work."""

    uow: UnitOfWork
    classes: ClassHandlers
    students: StudentHandlers
    roster: RosterHandlers
    importer: RosterImportHandler
    suggestions: SuggestionHandler
    reviews: ReviewHandlers
    monitor: AssociationTimeoutMonitor

    @classmethod
    async def of(cls, request: AsyncContainer) -> UseCases:
        return cls(
            uow=await request.get(UnitOfWork),
            classes=await request.get(ClassHandlers),
            students=await request.get(StudentHandlers),
            roster=await request.get(RosterHandlers),
            importer=await request.get(RosterImportHandler),
            suggestions=await request.get(SuggestionHandler),
            reviews=await request.get(ReviewHandlers),
            monitor=await request.get(AssociationTimeoutMonitor),
        )


@asynccontextmanager
async def use_cases_of(container: AsyncContainer) -> AsyncIterator[UseCases]:
    """A new request scope: its own unit of work, as a request or a consumed event has."""
    async with container() as request:
        yield await UseCases.of(request)


def unit_settings(**overrides: object) -> Settings:
    return load_service_settings(
        DATABASE_URL=UNCONNECTED_DATABASE, ENVIRONMENT="testing", **overrides
    )


@asynccontextmanager
async def in_memory_use_cases(
    settings: Settings, db: InMemoryDatabase, clock: ManualClock, notifier: FakeNotifier
) -> AsyncIterator[UseCases]:
    engine = build_engine(settings)
    fakes = (
        InMemoryStorageProvider(db),
        ManualClockProvider(clock),
        FakeNotifierProvider(notifier),
    )
    container = container_with(settings, engine, *fakes)
    try:
        async with use_cases_of(container) as use_cases:
            yield use_cases
    finally:
        await container.close()
        await engine.dispose()


@asynccontextmanager
async def sql_container(settings: Settings, clock: ManualClock) -> AsyncIterator[AsyncContainer]:
    """The production container on the settings' database and Redis, on a manual clock."""
    engine = build_engine(settings)
    container = container_with(settings, engine, ManualClockProvider(clock))
    try:
        yield container
    finally:
        await container.close()
        await engine.dispose()
