"""The in-memory twin of SqlUnitOfWork, with the same contract: what is not committed is gone,
emitted events reach the outbox only with their commit, an event is claimed once per handler,
and a unique key is refused as PostgreSQL refuses it (UniqueViolation).

Each `async with` works on a copy of the committed tables; commit publishes the copy. A service's
fake subclasses it and binds its in-memory repositories to `self.tables` in `attach`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar
from uuid import UUID

from common_core.events.base import EventPayload
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox.writer import OutboxEvent
from huleedu_service_libs.unit_of_work.base import (
    CollectingUnitOfWork,
    UniqueViolation,
    run_after_commit,
)

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
INBOX_CONSTRAINT = "processed_events_pkey"


class MemoryTable(Generic[K, R]):
    """Rows by primary key, with named unique indexes over a key function of the row."""

    def __init__(self, unique: Mapping[str, Callable[[R], Hashable]] | None = None) -> None:
        self.rows: dict[K, R] = {}
        self.unique = dict(unique or {})

    def insert(self, key: K, row: R) -> None:
        if key in self.rows:
            raise UniqueViolation(f"{type(self).__name__}_pkey")
        self._check_unique(row, ignore=None)
        self.rows[key] = row

    def put(self, key: K, row: R) -> None:
        """Insert or replace, refusing a unique key another row holds."""
        self._check_unique(row, ignore=key)
        self.rows[key] = row

    def get(self, key: K) -> R | None:
        return self.rows.get(key)

    def delete(self, key: K) -> R | None:
        return self.rows.pop(key, None)

    def __iter__(self) -> Iterator[R]:
        return iter(list(self.rows.values()))

    def __len__(self) -> int:
        return len(self.rows)

    def _check_unique(self, row: R, ignore: K | None) -> None:
        for name, key_of in self.unique.items():
            value = key_of(row)
            for other_key, other in self.rows.items():
                if other_key != ignore and key_of(other) == value:
                    raise UniqueViolation(name)


@dataclass
class InMemoryState:
    """What the in-memory database holds: committed tables, the outbox and the inbox."""

    tables: dict[str, Any] = field(default_factory=dict)
    outbox: list[OutboxEvent] = field(default_factory=list)
    processed: set[tuple[str, UUID]] = field(default_factory=set)

    def envelopes(self) -> list[EventEnvelope[Any]]:
        return [event.envelope for event in self.outbox]

    def payloads(self) -> list[EventPayload]:
        return [event.envelope.data for event in self.outbox]


class InMemoryUnitOfWork(CollectingUnitOfWork):
    def __init__(self, state: InMemoryState, envelopes: EnvelopeFactory) -> None:
        super().__init__(envelopes)
        self.state = state
        self._claims: set[tuple[str, UUID]] = set()
        self._active = False
        self.tables: dict[str, Any] = {}

    def attach(self, tables: dict[str, Any]) -> None:
        """Binds the service's fake repositories to this transaction's copy of the tables."""

    async def __aenter__(self) -> Self:
        self._active = True
        self._collector.clear()
        self._claims = set()
        self.tables = copy.deepcopy(self.state.tables)
        self.attach(self.tables)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object, /
    ) -> None:
        self._active = False
        self._collector.clear()
        self._claims = set()

    async def claim_event(self, handler: str, event_id: UUID) -> bool:
        self._require_active()
        claim = (handler, event_id)
        if claim in self.state.processed or claim in self._claims:
            return False
        self._claims.add(claim)
        return True

    async def commit(self) -> None:
        self._require_active()
        if self._claims & self.state.processed:  # another transaction committed it meanwhile
            self._collector.clear()
            raise UniqueViolation(INBOX_CONSTRAINT)
        events, callbacks = self._collector.drain()
        self.state.tables = self.tables
        self.tables = copy.deepcopy(self.tables)
        self.attach(self.tables)
        self.state.outbox.extend(events)
        self.state.processed |= self._claims
        self._claims = set()
        await run_after_commit(callbacks)

    async def rollback(self) -> None:
        self._collector.clear()
        self._claims = set()
        self.tables = copy.deepcopy(self.state.tables)
        self.attach(self.tables)

    def _require_active(self) -> None:
        if not self._active:
            raise RuntimeError("the unit of work is used outside `async with`")
