"""ResourceConsumptionV1: usage other services report after the work, charged once per event.

The event id goes into the database inbox in the same transaction as the charge, so a
redelivery (or a replay after Redis lost every key) finds it and charges nothing. The event's
idempotency key is also honoured, so the same usage reported over HTTP and Kafka is charged once.
A charge that cannot be made (no credits, unknown metric, closed hold) raises: the consumer
retries it and then dead-letters it, visible and re-drivable after a top-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from common_core.domain_enums import CreditSubjectType
from common_core.events.entitlements import ResourceConsumptionV1
from common_core.events.envelope import EventEnvelope
from common_core.models.entitlements_api import ConsumeAuthorizationRequest, ConsumeCreditsRequest
from huleedu_service_libs.logging_utils import create_service_logger
from services.entitlements_service.domain.errors import InsufficientCreditsError
from services.entitlements_service.domain.ledger import scoped_key
from services.entitlements_service.handlers.consumption import (
    charge,
    consumption_movement,
    earlier_charge,
)
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.metrics import EntitlementsMetrics, first_payer
from services.entitlements_service.protocols import UnitOfWork, UnitOfWorkFactory

INBOX_HANDLER = "entitlements.resource_consumption"
logger = create_service_logger("entitlements_service.reported_usage")


@dataclass
class ChargeReportedUsage:
    uows: UnitOfWorkFactory
    policies: PolicyStore
    holds: Authorizations
    metrics: EntitlementsMetrics

    async def __call__(self, envelope: EventEnvelope[ResourceConsumptionV1]) -> None:
        try:
            await self._charge_once(envelope)
        except InsufficientCreditsError:
            # Counted per attempt: the consumer retries, then dead-letters the event.
            self.metrics.refused(first_payer(envelope.data.org_id))
            raise

    async def _charge_once(self, envelope: EventEnvelope[ResourceConsumptionV1]) -> None:
        async with self.uows() as uow:
            if not await uow.claim_event(INBOX_HANDLER, envelope.event_id):
                logger.info("duplicate delivery skipped", event_id=str(envelope.event_id))
                return
            if envelope.data.authorization_id is None:
                payer, credits = await self._charge_balance(uow, envelope)
            else:
                payer, credits = await self._charge_hold(uow, envelope)
            await uow.commit()
        if credits is None:
            self.metrics.replayed(payer)
        else:
            self.metrics.charged(payer, credits)

    async def _charge_balance(
        self, uow: UnitOfWork, envelope: EventEnvelope[ResourceConsumptionV1]
    ) -> tuple[CreditSubjectType, int | None]:
        """(who paid, the credits charged, or None when the key had already charged)."""
        event = envelope.data
        request = ConsumeCreditsRequest(
            user_id=event.user_id,
            org_id=event.org_id,
            metric=event.metric,
            quantity=event.quantity,
            idempotency_key=event.idempotency_key,
            resource_id=event.resource_id,
        )
        key = scoped_key("consume", event.idempotency_key)
        earlier = await earlier_charge(uow, key, consumption_movement(request))
        if earlier is not None:
            return earlier.subject.type, None
        entry = await charge(
            uow.charges, self.uows, request, self.policies.current, envelope.correlation_id
        )
        return entry.subject.type, -entry.delta

    async def _charge_hold(
        self, uow: UnitOfWork, envelope: EventEnvelope[ResourceConsumptionV1]
    ) -> tuple[CreditSubjectType, int | None]:
        event = envelope.data
        assert event.authorization_id is not None
        request = ConsumeAuthorizationRequest(
            quantity=event.quantity, idempotency_key=event.idempotency_key
        )
        hold, replay = await self.holds.consume_in(
            uow,
            event.authorization_id,
            request,
            envelope.correlation_id,
            caller_user_id=event.user_id,
            resource_id=event.resource_id,
        )
        return hold.payer.type, None if replay else event.quantity * hold.unit_cost
