"""What every service's `alembic/env.py` does, in one place.

    from huleedu_service_libs.migrations import run_alembic_migrations
    run_alembic_migrations(Base.metadata, default_url=lambda: load_settings().DATABASE_URL)

The database URL comes from `alembic -x database_url=...` when given (the test harness and the
migrate-all script use it), otherwise from the service's settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alembic import context
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine


def run_alembic_migrations(
    target_metadata: MetaData | None, default_url: Callable[[], str]
) -> None:
    url = context.get_x_argument(as_dictionary=True).get("database_url") or default_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata))


async def _run_online(url: str, target_metadata: MetaData | None) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync, target_metadata)
    finally:
        await engine.dispose()


def _run_sync(connection: Connection, target_metadata: MetaData | None) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
