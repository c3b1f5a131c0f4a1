"""A charge as one statement: the balance move, the ledger row and the outbox rows together.

Through the session a charge was five round trips (BEGIN, the move, the ledger row, the outbox
rows, COMMIT) with SQLAlchemy's session work around each. As one data-modifying CTE it is one
round trip, atomic by itself: sent on an autocommitting connection it needs no session and no
transaction block (`AutocommitCharges`, the HTTP path); sent inside a unit of work it joins that
transaction (`SessionCharges`, the Kafka path with its inbox row). The move is the same
conditional update as `SqlAccountRepository.move`, so no charge overdraws, and a taken
idempotency key fails the whole statement on the ledger's unique constraint, so nothing of a
repeat is written. The balance event's figures are known only inside the statement, so they are
set there (`jsonb_set`) in the envelope built here from the planned payload.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from huleedu_service_libs.database import asyncpg_connection, driver_of
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox import OutboxEvent, OutboxManager, RelayWakeup, outbox_row_values
from huleedu_service_libs.outbox.model import TABLE_NAME as OUTBOX_TABLE
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.implementations.row_mapping import (
    LEDGER_COLUMNS,
    ledger_values,
)
from services.entitlements_service.models_db import Base, CreditAccountRow, LedgerEntryRow
from services.entitlements_service.protocols import KeyTakenError, PlannedCharge, PlannedEvent

_LEDGER = Base.metadata.tables[LedgerEntryRow.__tablename__]
_KEY_CONSTRAINT = "uq_credit_ledger_idempotency_key"
_FILLED = ("balance_after", "held_after")
_LEDGER_INPUTS = tuple(name for name in LEDGER_COLUMNS if name not in _FILLED)
_OUTBOX_INPUTS = ("aggregate_type", "aggregate_id", "event_type", "topic", "event_key")


def _typed(position: int, column: str) -> str:
    sql_type = _LEDGER.c[column].type.compile(dialect=postgresql.dialect())  # type: ignore[no-untyped-call]
    return f"CAST(${position} AS {sql_type})"


def _charge_sql() -> str:
    count = len(_LEDGER_INPUTS)
    delta, held_delta, subject_type, subject_id = (f"${count + k}" for k in range(1, 5))
    arrays = [f"${count + 5 + k}::text[]" for k in range(len(_OUTBOX_INPUTS) + 1)]
    figures = f"${count + 6 + len(_OUTBOX_INPUTS)}::bool[]"
    ledger_inputs = ", ".join(_typed(k + 1, name) for k, name in enumerate(_LEDGER_INPUTS))
    outbox_columns = ", ".join(_OUTBOX_INPUTS)
    return f"""
WITH moved AS (
    UPDATE {CreditAccountRow.__tablename__}
    SET balance = balance + {delta}, held = held + {held_delta}, updated_at = now()
    WHERE subject_type = {subject_type} AND subject_id = {subject_id}
      AND balance + {delta} >= held + {held_delta} AND held + {held_delta} >= 0
    RETURNING balance, held
), entry AS (
    INSERT INTO {_LEDGER.name} ({", ".join(_LEDGER_INPUTS)}, {", ".join(_FILLED)})
    SELECT {ledger_inputs}, moved.balance, moved.held FROM moved
    RETURNING balance_after, held_after, created_at, seq
), events AS (
    INSERT INTO {OUTBOX_TABLE} ({outbox_columns}, event_data)
    SELECT {", ".join(f"e.{name}" for name in _OUTBOX_INPUTS)},
           CASE WHEN e.with_figures THEN jsonb_set(jsonb_set(e.envelope::jsonb,
                '{{data,balance_after}}', to_jsonb(entry.balance_after)),
                '{{data,available_after}}', to_jsonb(entry.balance_after - entry.held_after)
           )::json ELSE e.envelope::json END
    FROM entry CROSS JOIN unnest({", ".join([*arrays, figures])})
        WITH ORDINALITY AS e({outbox_columns}, envelope, with_figures, position)
    ORDER BY e.position
)
SELECT balance_after, held_after, created_at, seq FROM entry
"""


_CHARGE = _charge_sql()


def _arguments(planned: PlannedCharge, envelopes: EnvelopeFactory) -> list[Any]:
    entry = planned.entry
    values = ledger_values(entry)
    events = [planned.balance_event, *planned.other_events]
    rows = [outbox_row_values(_outbox_event(planned, event, envelopes)) for event in events]
    columns = [[row[name] for row in rows] for name in (*_OUTBOX_INPUTS, "envelope_json")]
    return [
        *(values[name] for name in _LEDGER_INPUTS),
        *(entry.delta, entry.held_delta, entry.subject.type.value, entry.subject.id),
        *columns,
        [event is planned.balance_event for event in events],
    ]


def _outbox_event(
    planned: PlannedCharge, event: PlannedEvent, envelopes: EnvelopeFactory
) -> OutboxEvent:
    entry = planned.entry
    envelope = envelopes.envelope(
        event.payload, correlation_id=entry.correlation_id, event_id=event.event_id
    )
    return OutboxEvent(planned.aggregate_type, entry.subject.key, envelope)


async def apply_charge(
    connection: asyncpg.Connection, planned: PlannedCharge, envelopes: EnvelopeFactory
) -> LedgerEntry | None:
    try:
        record = await connection.fetchrow(_CHARGE, *_arguments(planned, envelopes))
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == _KEY_CONSTRAINT:
            raise KeyTakenError(planned.entry.idempotency_key) from error
        raise
    if record is None:
        return None
    return _written(planned.entry, record)


def _written(entry: LedgerEntry, record: asyncpg.Record) -> LedgerEntry:
    return replace(
        entry,
        balance_after=record["balance_after"],
        held_after=record["held_after"],
        created_at=record["created_at"],
        seq=record["seq"],
    )


class AutocommitCharges:
    """Each charge on a pooled connection as its own transaction, then the relay's wake-up."""

    def __init__(
        self, engine: AsyncEngine, wakeup: RelayWakeup | None, envelopes: EnvelopeFactory
    ) -> None:
        self._engine = engine
        self._wakeup = wakeup
        self._envelopes = envelopes

    async def charge(self, planned: PlannedCharge) -> LedgerEntry | None:
        async with asyncpg_connection(self._engine) as connection:
            written = await apply_charge(connection, planned, self._envelopes)
        if written is not None and self._wakeup is not None:
            self._wakeup.committed()
        return written


class SessionCharges:
    """Charges inside the unit of work's transaction; the relay is woken after its commit."""

    def __init__(
        self, session: AsyncSession, outbox: OutboxManager, envelopes: EnvelopeFactory
    ) -> None:
        self._session = session
        self._outbox = outbox
        self._envelopes = envelopes

    async def charge(self, planned: PlannedCharge) -> LedgerEntry | None:
        connection = await driver_of(self._session)
        written = await apply_charge(connection, planned, self._envelopes)
        if written is not None and self._outbox.wakeup is not None:
            self._outbox.wakeup.notify_after_commit(self._session)
        return written
