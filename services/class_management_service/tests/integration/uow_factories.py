"""Units of work on the real database, for tests that drive use cases below the HTTP layer."""

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from huleedu_service_libs.outbox import OutboxManager
from services.class_management_service.implementations.unit_of_work import SqlAlchemyUnitOfWork
from services.class_management_service.tests.fakes import FakeNotifier


def sql_unit_of_work(
    engine: AsyncEngine, notifier: FakeNotifier | None = None
) -> SqlAlchemyUnitOfWork:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    return SqlAlchemyUnitOfWork(engine, sessions, OutboxManager(None), notifier or FakeNotifier())
