"""Factories for what a process needs: the engine and the DI container. Nothing is built at
import time, and the schema is never created here: the Alembic chain owns it."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from dishka import AsyncContainer, Provider, make_async_container
from prometheus_client import CollectorRegistry
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.identity import IdentityProvider
from services.class_management_service.config import Settings
from services.class_management_service.di import (
    EventsProvider,
    InfrastructureProvider,
    UseCaseProvider,
)


def build_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.DATABASE_URL,
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=settings.DB_MAX_OVERFLOW,
        pool_timeout=settings.DB_POOL_TIMEOUT_SECONDS,
        pool_recycle=settings.DB_POOL_RECYCLE_SECONDS,
        pool_pre_ping=settings.DB_POOL_PRE_PING,
        connect_args=_connect_args(settings),
    )


def _connect_args(settings: Settings) -> dict[str, Any]:
    if not settings.DB_BEHIND_TRANSACTION_POOLER:
        return {}
    # PgBouncer in transaction mode hands each transaction any server connection, so prepared
    # statements cannot be cached across transactions, and their names must never repeat (a
    # server connection may still hold another client's statement of the same name).
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": _unique_statement_name,
    }


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid4().hex}__"


def build_container(
    settings: Settings,
    engine: AsyncEngine,
    registry: CollectorRegistry,
    *extra: Provider,
) -> AsyncContainer:
    return make_async_container(
        QuartProvider(),
        CorrelationProvider(),
        IdentityProvider(settings),
        InfrastructureProvider(),
        EventsProvider(),
        UseCaseProvider(),
        *extra,
        context={Settings: settings, AsyncEngine: engine, CollectorRegistry: registry},
    )
