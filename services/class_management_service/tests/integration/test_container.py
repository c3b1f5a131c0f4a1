"""The production container builds and resolves every use case, so wiring errors fail here."""

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
