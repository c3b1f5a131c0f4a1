"""Events commit with their state or not at all, carry the request's correlation id, and the
live outbox table matches the shared model."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from uuid import uuid4, uuid5

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from common_core.events.codec import decode_envelope
from common_core.events.entitlements import CreditBalanceChangedV1, UsageRecordedV1
from common_core.models.entitlements_api import ConsumeCreditsRequest
from huleedu_service_libs.correlation import CORRELATION_NAMESPACE
from huleedu_service_libs.engines import build_engine
from services.entitlements_service.handlers.consumption import ConsumeCredits
from services.entitlements_service.startup_setup import build_container, load_policies
from services.entitlements_service.tests.support.fixtures import (  # noqa: F401
    INTERNAL,
    ServiceFactory,
    running_service_fixture,
    settings_for,
)
from services.entitlements_service.tests.support.paths import SERVICE_DIR

pytestmark = pytest.mark.integration
SCRIPT = SERVICE_DIR / "scripts" / "verify_outbox_indexes.py"


REFUSE_USAGE_EVENTS = (
    "CREATE FUNCTION refuse_usage_event() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION 'outbox write failed'; END $$",
    "CREATE TRIGGER refuse_usage_event BEFORE INSERT ON event_outbox FOR EACH ROW"
    " WHEN (NEW.event_type LIKE '%usage.recorded%') EXECUTE FUNCTION refuse_usage_event()",
)
STATE = (
    "SELECT (SELECT balance FROM credit_balances WHERE subject_id = 'u1'),"
    " (SELECT count(*) FROM credit_ledger), (SELECT count(*) FROM event_outbox)"
)


async def test_a_failed_outbox_write_rolls_back_balance_ledger_and_events(
    migrated_database: Callable[[Path], Awaitable[str]], redis_url: str
) -> None:
    """The last row the charge writes is refused: the move, the ledger row and the first event
    written before it must go with it."""
    settings = settings_for(await migrated_database(SERVICE_DIR), redis_url)
    engine = build_engine(settings)
    container = build_container(settings, engine, load_policies(settings), http=False)
    consume = await container.get(ConsumeCredits)

    def request(key: str) -> ConsumeCreditsRequest:
        return ConsumeCreditsRequest(
            user_id="u1", metric="cj_comparison", quantity=1, idempotency_key=key
        )

    try:
        await consume(request("first"), uuid4())  # opens the account with its bonus of 50
        async with engine.connect() as connection:
            before = (await connection.execute(text(STATE))).one()
            for statement in REFUSE_USAGE_EVENTS:
                await connection.execute(text(statement))
            await connection.commit()
        with pytest.raises(asyncpg.RaiseError, match="outbox write failed"):
            await consume(request("second"), uuid4())
        async with engine.connect() as connection:
            after_failure = (await connection.execute(text(STATE))).one()
            await connection.execute(text("DROP TRIGGER refuse_usage_event ON event_outbox"))
            await connection.commit()
        await consume(request("second"), uuid4())
        async with engine.connect() as connection:
            after_retry = (await connection.execute(text(STATE))).one()
    finally:
        await container.close()
        await engine.dispose()
    assert tuple(before) == (49, 2, 3)  # the bonus (one event) and the first charge (two)
    assert tuple(after_failure) == tuple(before)
    assert tuple(after_retry) == (48, 3, 5)


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


async def test_the_balance_event_carries_the_balance_the_charge_left(
    running_service: ServiceFactory,
) -> None:
    service = await running_service()
    for key in ("a", "b"):
        body = {"user_id": "u8", "metric": "cj_comparison", "quantity": 2, "idempotency_key": key}
        response = await service.client.post(
            "/internal/v1/entitlements/consume-credits", json=body, headers=INTERNAL
        )
        assert response.status_code == 200
    rows = await service.rows(
        "SELECT o.event_type, o.event_data::text AS data, l.balance_after, l.held_after"
        " FROM event_outbox o JOIN credit_ledger l"
        " ON l.id::text = (o.event_data -> 'data' ->> 'ledger_entry_id') ORDER BY o.seq"
    )
    changes = [row for row in rows if row.event_type.endswith("balance_changed.v1")]
    assert len(rows) == 5  # the bonus's event, then two for each charge
    decoded = [decode_envelope(row.event_type, row.data.encode()) for row in rows]
    assert {type(envelope.data) for envelope in decoded} == {
        CreditBalanceChangedV1,
        UsageRecordedV1,
    }
    figures = [json.loads(row.data)["data"] for row in changes]
    assert [(f["balance_after"], f["available_after"]) for f in figures] == [
        (50, 50),
        (48, 48),
        (46, 46),
    ]
    assert [(row.balance_after, row.held_after) for row in changes] == [(50, 0), (48, 0), (46, 0)]
