"""Dishka wiring: one writer and one relay per service process (APP scope)."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.outbox.relay import EventRelayWorker
from huleedu_service_libs.outbox.settings import OutboxSettings
from huleedu_service_libs.outbox.wakeup import RelayWakeup
from huleedu_service_libs.outbox.writer import OutboxManager


class OutboxProvider(Provider):
    """Needs AsyncEngine, KafkaBus and redis.asyncio.Redis from the service's own providers."""

    def __init__(self, service_name: str, settings: OutboxSettings) -> None:
        super().__init__()
        self.service_name = service_name
        self.settings = settings

    @provide(scope=Scope.APP)
    def wakeup(self, redis: Redis) -> RelayWakeup:
        return RelayWakeup(redis, self.service_name)

    @provide(scope=Scope.APP)
    def outbox_manager(self, wakeup: RelayWakeup) -> OutboxManager:
        return OutboxManager(wakeup)

    @provide(scope=Scope.APP)
    def relay(self, engine: AsyncEngine, bus: KafkaBus, wakeup: RelayWakeup) -> EventRelayWorker:
        return EventRelayWorker(engine, bus, self.service_name, self.settings, wakeup=wakeup)
