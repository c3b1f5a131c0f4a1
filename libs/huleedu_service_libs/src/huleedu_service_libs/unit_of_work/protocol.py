"""The port a service's use cases see: the transaction's methods, shared by the PostgreSQL unit
of work and its twin; a service's protocol adds its repositories."""

from __future__ import annotations

from typing import Protocol, Self, TypeVar
from uuid import UUID

from common_core.events.base import EventPayload
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.unit_of_work.base import AfterCommit

P = TypeVar("P", bound=EventPayload)


class UnitOfWork(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object, /
    ) -> None: ...

    def emit(
        self,
        payload: P,
        *,
        aggregate_type: str,
        aggregate_id: str | UUID,
        event_id: UUID | None = None,
        event_key: str | None = None,
        correlation_id: UUID | None = None,
    ) -> EventEnvelope[P]: ...

    def after_commit(self, callback: AfterCommit) -> None: ...

    async def claim_event(self, handler: str, event_id: UUID) -> bool: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
