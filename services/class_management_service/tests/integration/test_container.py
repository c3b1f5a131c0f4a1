"""The production container builds and resolves every use case, so wiring errors fail here."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from dishka import AsyncContainer

from huleedu_service_libs.config import Environment
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.outbox import RelayWakeup, outbox_settings_for
from huleedu_service_libs.redis import Notifier, RedisNotifier
from services.class_management_service.config import Settings
from services.class_management_service.handlers.classes import ClassHandlers
from services.class_management_service.handlers.review import ReviewHandlers
from services.class_management_service.handlers.roster import RosterHandlers
from services.class_management_service.handlers.roster_import import RosterImportHandler
from services.class_management_service.handlers.students import StudentHandlers
from services.class_management_service.handlers.suggestions import SuggestionHandler
from services.class_management_service.handlers.timeout_monitor import (
    AssociationTimeoutMonitor,
)
from services.class_management_service.implementations.unit_of_work import (
    ClassManagementUnitOfWork,
)
from services.class_management_service.protocols import UnitOfWork
from services.class_management_service.startup_setup import build_container
from services.class_management_service.worker_main import worker_container
from services.class_management_service.workers.timeout_schedule import SweepSchedule

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


@asynccontextmanager
async def _container(settings: Settings, with_worker: bool) -> AsyncIterator[AsyncContainer]:
    engine = build_engine(settings)
    container = (
        worker_container(settings, engine) if with_worker else build_container(settings, engine)
    )
    try:
        yield container
    finally:
        await container.close()
        await engine.dispose()


@pytest.mark.parametrize("with_worker", [False, True])
async def test_every_use_case_resolves(settings: Settings, with_worker: bool) -> None:
    async with _container(settings, with_worker) as container:
        with correlation_scope(CorrelationContext.generate()):
            async with container() as request:
                for use_case in USE_CASES:
                    assert isinstance(await request.get(use_case), use_case)
                assert isinstance(await request.get(UnitOfWork), ClassManagementUnitOfWork)
        assert isinstance(await container.get(Notifier), RedisNotifier)


async def test_the_relay_can_block_for_longer_than_the_redis_socket_timeout(
    settings: Settings,
) -> None:
    tuned = settings.model_copy(
        update={"REDIS_SOCKET_TIMEOUT_SECONDS": 0.2, "ENVIRONMENT": Environment.DEVELOPMENT}
    )
    async with _container(tuned, with_worker=False) as container:
        wakeup = await container.get(RelayWakeup)
        waited = outbox_settings_for(tuned.ENVIRONMENT).poll_interval_seconds  # its longest BLPOP
        assert waited > 3 * tuned.REDIS_SOCKET_TIMEOUT_SECONDS
        assert await wakeup.wait(waited) is False  # timed out quietly, no socket timeout error
        await wakeup.notify()
        assert await wakeup.wait(waited) is True


async def test_the_timeout_monitor_takes_its_policy_from_the_settings(settings: Settings) -> None:
    tuned = settings.model_copy(
        update={
            "ASSOCIATION_TIMEOUT_HOURS": 6.0,
            "ASSOCIATION_CONFIDENCE_THRESHOLD": 0.85,
            "ASSOCIATION_MONITOR_BATCH_LIMIT": 7,
        }
    )
    async with _container(tuned, with_worker=True) as container:
        with correlation_scope(CorrelationContext.generate()):
            async with container() as request:
                monitor = await request.get(AssociationTimeoutMonitor)
    assert monitor.policy.timeout == timedelta(hours=6)
    assert monitor.policy.confidence_threshold == 0.85
    assert monitor.batch_limit == 7


async def test_the_schedule_sweeps_every_interval_and_outlives_a_failed_sweep() -> None:
    sweeps = 0

    async def sweep() -> None:  # fails once, then counts; the schedule stops after the third
        nonlocal sweeps
        sweeps += 1
        if sweeps == 1:
            raise ConnectionError("database briefly unavailable")
        if sweeps >= 3:
            schedule.stop()

    schedule = SweepSchedule(sweep, interval_seconds=0.01)
    await asyncio.wait_for(schedule.run(), timeout=10)

    assert sweeps == 3  # the failed first sweep did not end the loop
