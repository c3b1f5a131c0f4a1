"""The hold-expiry sweep: expires due holds (their credit returns) until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib

from huleedu_service_libs.logging_utils import create_service_logger
from services.entitlements_service.handlers.holds import Authorizations

logger = create_service_logger("entitlements_service.hold_expiry")


class HoldExpirySweep:
    def __init__(self, holds: Authorizations, batch_size: int, interval_seconds: float) -> None:
        self.holds = holds
        self.batch_size = batch_size
        self.interval_seconds = interval_seconds
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            if not await self._sweep():
                await self._pause()

    def stop(self) -> None:
        self._stopping.set()

    async def _sweep(self) -> int:
        try:
            expired = await self.holds.expire_due(self.batch_size)
        except Exception:  # a failed sweep is retried at the next interval
            logger.exception("hold expiry sweep failed")
            return 0
        if expired:
            logger.info("holds expired", count=expired)
        return expired

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.interval_seconds)
