"""The worker's hold-expiry job: it sweeps until asked to stop, and a stop cuts its pause short."""

import asyncio
from uuid import UUID, uuid4

from common_core.domain_enums import AuthorizationStatus
from services.entitlements_service.tests.support.wiring import FakeService
from services.entitlements_service.tests.unit.test_holds import funded, hold_request
from services.entitlements_service.workers.hold_expiry import HoldExpirySweep


async def test_the_sweep_expires_due_holds_and_stops_when_asked() -> None:
    service = await funded(20)
    due = await service.holds.create(hold_request(10, key="due", ttl_seconds=60), uuid4())
    later = await service.holds.create(hold_request(5, key="later", ttl_seconds=600), uuid4())
    service.clock.advance(61)
    sweep = HoldExpirySweep(service.holds, batch_size=10, interval_seconds=3600)

    running = asyncio.create_task(sweep.run())
    await _until_closed(service, due.authorization_id)
    sweep.stop()
    await running  # returns although its pause had an hour to go

    assert service.books.holds[later.authorization_id].status is AuthorizationStatus.ACTIVE
    assert service.balance("user:u1") == (20, 5)
    assert service.ledger_sums("user:u1") == (20, 5)


async def _until_closed(service: FakeService, authorization_id: UUID) -> None:
    for _ in range(2000):
        if service.books.holds[authorization_id].status is not AuthorizationStatus.ACTIVE:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the sweep did not close the hold")
