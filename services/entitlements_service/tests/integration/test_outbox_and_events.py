"""Events commit with their state or not at all, carry the request's correlation id, and the
live outbox table matches the shared model."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from uuid import uuid4, uuid5

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from common_core.models.entitlements_api import ConsumeCreditsRequest
from huleedu_service_libs.correlation import CORRELATION_NAMESPACE
from huleedu_service_libs.outbox import OutboxEvent, OutboxManager
from services.entitlements_service.config import DEFAULT_POLICY_PATH
from services.entitlements_service.di import SystemClock
from services.entitlements_service.domain.policy import load_policy
from services.entitlements_service.handlers.consumption import ConsumeCredits
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.implementations.unit_of_work import SqlUnitOfWorkFactory
from services.entitlements_service.tests.support.fakes import InMemoryRateLimitStore
from services.entitlements_service.tests.support.fixtures import (  # noqa: F401
    INTERNAL,
    ServiceFactory,
    running_service_fixture,
)
from services.entitlements_service.tests.support.paths import SERVICE_DIR

pytestmark = pytest.mark.integration
SCRIPT = SERVICE_DIR / "scripts" / "verify_outbox_indexes.py"


class FailingOutbox(OutboxManager):
    """Fails after the transaction's events are written, with the balance and ledger rows."""

    def __init__(self) -> None:
        super().__init__(wakeup=None)

    async def publish_many_to_outbox(
        self, session: AsyncSession, events: Sequence[OutboxEvent]
    ) -> None:
        await super().publish_many_to_outbox(session, events)
        raise ConnectionError("outbox write failed")


async def test_a_failed_outbox_write_rolls_back_balance_ledger_and_events(
    migrated_database: Callable[[Path], Awaitable[str]],
) -> None:
    engine = create_async_engine(await migrated_database(SERVICE_DIR))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    policies = PolicyStore(DEFAULT_POLICY_PATH, load_policy(DEFAULT_POLICY_PATH))
    uows = SqlUnitOfWorkFactory(sessions, FailingOutbox())
    consume = ConsumeCredits(uows, policies, RateLimiter(InMemoryRateLimitStore()), SystemClock())
    request = ConsumeCreditsRequest(
        user_id="u1", metric="cj_comparison", quantity=1, idempotency_key="k"
    )
    try:
        with pytest.raises(ConnectionError):
            await consume(request, uuid4())
        async with engine.connect() as connection:
            counts = [
                (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                for table in ("credit_balances", "credit_ledger", "event_outbox")
            ]
        assert counts == [0, 0, 0]
    finally:
        await engine.dispose()


async def test_every_event_of_a_request_carries_its_correlation_id(
    running_service: ServiceFactory,
) -> None:
    service = await running_service()
    headers = {**INTERNAL, "X-Correlation-ID": "cj-batch-42"}
    body = {
        "user_id": "u7",
        "org_id": "o7",
        "metric": "cj_comparison",
        "quantity": 3,
        "idempotency_key": "c1",
    }
    response = await service.client.post(
        "/internal/v1/entitlements/consume-credits", json=body, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["X-Correlation-ID"] == "cj-batch-42"
    rows = await service.rows("SELECT event_type, event_data::text AS data FROM event_outbox")
    expected = str(uuid5(CORRELATION_NAMESPACE, "cj-batch-42"))
    envelopes = [json.loads(row.data) for row in rows]
    assert {envelope["correlation_id"] for envelope in envelopes} == {expected}
    assert sorted(row.event_type.split(".")[-2] for row in rows) == [
        "balance_changed",  # the org's signup bonus
        "balance_changed",  # the charge
        "recorded",
    ]


async def test_the_index_verifier_passes_on_the_chain_and_fails_on_a_missing_index(
    migrated_database: Callable[[Path], Awaitable[str]],
) -> None:
    url = await migrated_database(SERVICE_DIR)
    run = [sys.executable, str(SCRIPT), "--database-url", url]
    ok = await asyncio.to_thread(subprocess.run, run, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP INDEX ix_event_outbox_unpublished"))
    await engine.dispose()
    broken = await asyncio.to_thread(subprocess.run, run, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "ix_event_outbox_unpublished" in broken.stdout
