"""The database engine of a service process, built from its settings (never at import time)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from huleedu_service_libs.config import SecureServiceSettings
from huleedu_service_libs.observability.instrumentation import trace_engine
from huleedu_service_libs.observability.tracing import tracer_provider_for


def build_engine(settings: SecureServiceSettings) -> AsyncEngine:
    """Traced (a span per statement) when `setup_tracing` ran for these settings' service."""
    engine = create_async_engine(
        settings.DATABASE_URL,
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_MAX_OVERFLOW,
        pool_timeout=settings.DATABASE_POOL_TIMEOUT_SECONDS,
        pool_recycle=settings.DATABASE_POOL_RECYCLE_SECONDS,
        pool_pre_ping=settings.DATABASE_POOL_PRE_PING,
        connect_args=_connect_args(settings),
    )
    provider = tracer_provider_for(settings)
    if provider is not None:
        trace_engine(engine, provider)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Use cases read what they loaded after the commit; nothing is reloaded behind their back.
    return async_sessionmaker(engine, expire_on_commit=False)


def _connect_args(settings: SecureServiceSettings) -> dict[str, Any]:
    if not settings.DATABASE_BEHIND_TRANSACTION_POOLER:
        return {}
    # A transaction pooler hands each transaction any server connection: prepared statements
    # cannot be cached across transactions, and their names must never repeat.
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": _unique_statement_name,
    }


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid4().hex}__"
