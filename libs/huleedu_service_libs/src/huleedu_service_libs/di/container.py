"""The container of a service process: its settings, engine and metrics registry from the
factory that builds it, the library's infrastructure providers, then the service's own."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dishka import AsyncContainer, Provider, Scope, make_async_container
from prometheus_client import CollectorRegistry
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.config import SecureServiceSettings
from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.di.infrastructure import (
    ClockProvider,
    DatabaseProvider,
    EventsProvider,
    KafkaProvider,
    RedisProvider,
    RelayProvider,
)
from huleedu_service_libs.di.service import ServiceInfo, new_registry
from huleedu_service_libs.identity import IdentityProvider


def make_service_container(
    service_name: str,
    settings: SecureServiceSettings,
    engine: AsyncEngine,
    *providers: Provider,
    registry: CollectorRegistry | None = None,
    http: bool = True,
    context: Mapping[type[Any], Any] | None = None,
) -> AsyncContainer:
    values: dict[type[Any], Any] = {
        type(settings): settings,
        ServiceInfo: ServiceInfo(service_name),
        AsyncEngine: engine,
        CollectorRegistry: registry or new_registry(),
        **(context or {}),
    }
    library = [
        _context_provider(values),
        DatabaseProvider(),
        RedisProvider(),
        EventsProvider(),
        ClockProvider(),
        CorrelationProvider(),
    ]
    web = [QuartProvider(), IdentityProvider(settings)] if http else []
    return make_async_container(*library, *providers, *web, context=values)


def _context_provider(values: Mapping[type[Any], Any]) -> Provider:
    provider = Provider(scope=Scope.APP)
    for key in values:
        provider.from_context(provides=key, scope=Scope.APP)
    settings_type = next(key for key in values if isinstance(values[key], SecureServiceSettings))
    if settings_type is not SecureServiceSettings:
        provider.alias(source=settings_type, provides=SecureServiceSettings)
    return provider


@dataclass(frozen=True)
class ServiceContainers:
    """A service's two containers, HTTP and worker, from its providers; `extra` providers come
    last, so a test's fakes replace what they provide."""

    service_name: str
    providers: Callable[[], Sequence[Provider]]
    worker_providers: Callable[[], Sequence[Provider]] = tuple

    def build(
        self,
        settings: SecureServiceSettings,
        engine: AsyncEngine,
        *extra: Provider,
        registry: CollectorRegistry | None = None,
        http: bool = True,
        context: Mapping[type[Any], Any] | None = None,
    ) -> AsyncContainer:
        providers = [*self.providers(), *extra]
        return make_service_container(
            self.service_name,
            settings,
            engine,
            *providers,
            registry=registry,
            http=http,
            context=context,
        )

    def worker(
        self,
        settings: SecureServiceSettings,
        engine: AsyncEngine,
        *extra: Provider,
        registry: CollectorRegistry | None = None,
        context: Mapping[type[Any], Any] | None = None,
    ) -> AsyncContainer:
        """With Kafka, the outbox relay and the worker's own providers."""
        worker = [KafkaProvider(), RelayProvider(), *self.worker_providers()]
        return self.build(
            settings, engine, *worker, *extra, registry=registry, http=False, context=context
        )
