"""Fixtures for tests on the real servers; test modules import the ones they use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dishka import Provider, Scope, provide
from quart.typing import TestClientProtocol
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.testing.probes import SqlProbe
from services.entitlements_service.app import create_app
from services.entitlements_service.config import Settings
from services.entitlements_service.tests.support.fakes import FakeClock
from services.entitlements_service.tests.support.paths import SERVICE_DIR

INTERNAL_KEY = "internal-test-key-0123456789"
ADMIN_KEY = "admin-test-key-0123456789"
INTERNAL = {"X-Internal-API-Key": INTERNAL_KEY}
ADMIN = {"X-Admin-API-Key": ADMIN_KEY}


def settings_for(database_url: str, redis_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ENVIRONMENT": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INTERNAL_API_KEY": INTERNAL_KEY,
        "ADMIN_API_KEY": ADMIN_KEY,
        **overrides,
    }
    return Settings(**values)


@dataclass
class RunningService(SqlProbe):
    app: HuleEduApp
    client: TestClientProtocol
    settings: Settings

    async def grant(self, subject: str, credits: int) -> None:
        subject_type, subject_id = subject.split(":", 1)
        response = await self.client.post(
            f"/admin/v1/entitlements/accounts/{subject_type}/{subject_id}/adjust",
            json={"delta": credits, "note": "test grant"},
            headers=ADMIN,
        )
        assert response.status_code == 200, await response.get_data(as_text=True)

    async def books_balance(self, subject: str) -> tuple[int, int, int, int]:
        """(balance, held, ledger sum of delta, ledger sum of held_delta)."""
        subject_type, subject_id = subject.split(":", 1)
        row = (
            await self.rows(
                "SELECT b.balance, b.held,"
                " COALESCE(SUM(l.delta), 0), COALESCE(SUM(l.held_delta), 0)"
                " FROM credit_balances b LEFT JOIN credit_ledger l"
                " ON l.subject_type = b.subject_type AND l.subject_id = b.subject_id"
                " WHERE b.subject_type = :t AND b.subject_id = :i GROUP BY b.balance, b.held",
                t=subject_type,
                i=subject_id,
            )
        )[0]
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])


ServiceFactory = Callable[..., Awaitable[RunningService]]


class ClockProvider(Provider):
    """Replaces the system clock, so a test moves time instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(scope=Scope.APP)
        self.clock = clock

    @provide(override=True)
    def fake_clock(self) -> Clock:
        return self.clock


@pytest.fixture(name="running_service")
async def running_service_fixture(
    migrated_database: Callable[[Path], Awaitable[str]], redis_url: str
) -> AsyncIterator[ServiceFactory]:
    started: list[tuple[HuleEduApp, AsyncEngine]] = []

    async def start(*providers: Provider, **overrides: Any) -> RunningService:
        settings = settings_for(await migrated_database(SERVICE_DIR), redis_url, **overrides)
        app = create_app(settings, *providers)
        await app.startup()
        engine = create_async_engine(settings.DATABASE_URL)
        started.append((app, engine))
        return RunningService(engine, app, app.test_client(), settings)

    yield start
    for app, engine in started:
        await app.shutdown()
        await engine.dispose()
