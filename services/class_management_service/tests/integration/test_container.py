"""The production container builds and resolves every use case, so wiring errors fail here."""

import asyncio
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.outbox import RelayWakeup
from services.class_management_service.config import Settings
from services.class_management_service.handlers.classes import ClassHandlers
from services.class_management_service.handlers.review import ReviewHandlers
from services.class_management_service.handlers.roster import RosterHandlers
from services.class_management_service.handlers.roster_import import RosterImportHandler
from services.class_management_service.handlers.students import StudentHandlers
from services.class_management_service.handlers.suggestions import SuggestionHandler
from services.class_management_service.handlers.timeout_monitor import (
    AssociationTimeoutMonitor,
    SweepResult,
)
from services.class_management_service.implementations.unit_of_work import SqlAlchemyUnitOfWork
from services.class_management_service.protocols import UnitOfWork
from services.class_management_service.startup_setup import build_container, build_engine
from services.class_management_service.worker_main import WorkerProvider

pytestmark = pytest.mark.integration
USE_CASES = (
    ClassHandlers,
    StudentHandlers,
    RosterHandlers,
    RosterImportHandler,
    ReviewHandlers,
    SuggestionHandler,
    AssociationTimeoutMonitor,
)


@pytest.mark.parametrize("with_worker", [False, True])
async def test_every_use_case_resolves(settings: Settings, with_worker: bool) -> None:
    engine = build_engine(settings)
    extra = [WorkerProvider()] if with_worker else []
    container = build_container(settings, engine, CollectorRegistry(), *extra)
    try:
        with correlation_scope(CorrelationContext.generate()):
            async with container() as request:
                for use_case in USE_CASES:
                    assert isinstance(await request.get(use_case), use_case)
                assert isinstance(await request.get(UnitOfWork), SqlAlchemyUnitOfWork)
    finally:
        await container.close()
        await engine.dispose()


async def test_the_relay_can_block_for_longer_than_the_notification_timeout(
    settings: Settings,
) -> None:
    engine = build_engine(settings)
    container = build_container(settings, engine, CollectorRegistry())
    try:
        wakeup = await container.get(RelayWakeup)
        waited = settings.NOTIFICATION_TIMEOUT_SECONDS * 3
        assert await wakeup.wait(waited) is False  # timed out quietly, no socket timeout error
        await wakeup.notify()
        assert await wakeup.wait(waited) is True
    finally:
        await container.close()
        await engine.dispose()


async def test_the_timeout_monitor_takes_its_policy_from_the_settings(settings: Settings) -> None:
    tuned = settings.model_copy(
        update={
            "ASSOCIATION_TIMEOUT_HOURS": 6.0,
            "ASSOCIATION_CONFIDENCE_THRESHOLD": 0.85,
            "ASSOCIATION_MONITOR_BATCH_LIMIT": 7,
        }
    )
    engine = build_engine(tuned)
    container = build_container(tuned, engine, CollectorRegistry(), WorkerProvider())
    try:
        with correlation_scope(CorrelationContext.generate()):
            async with container() as request:
                monitor = await request.get(AssociationTimeoutMonitor)
        assert monitor.policy.timeout == timedelta(hours=6)
        assert monitor.policy.confidence_threshold == 0.85
        assert monitor.batch_limit == 7
    finally:
        await container.close()
        await engine.dispose()


class _CountingMonitor(AssociationTimeoutMonitor):
    """The real schedule loop around a sweep that fails once, then counts."""

    def __init__(self, stop_after: int, stopping: asyncio.Event) -> None:
        self.sweeps, self.stop_after, self.stopping = 0, stop_after, stopping

    async def sweep(self) -> SweepResult:
        self.sweeps += 1
        if self.sweeps == 1:
            raise ConnectionError("database briefly unavailable")
        if self.sweeps >= self.stop_after:
            self.stopping.set()
        return SweepResult(0, 0)


async def test_the_schedule_sweeps_every_interval_and_outlives_a_failed_sweep() -> None:
    stopping = asyncio.Event()
    monitor = _CountingMonitor(stop_after=3, stopping=stopping)

    await asyncio.wait_for(monitor.run_forever(stopping, interval_seconds=0.01), timeout=10)

    assert monitor.sweeps == 3  # the failed first sweep did not end the loop
