"""Building the process's container from settings: the policy, then the library's service
container with this service's providers (the engine is the library's `build_engine`)."""

from __future__ import annotations

from dishka import AsyncContainer, Provider
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.di import ServiceContainers
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.di import service_providers
from services.entitlements_service.implementations.policy_store import PolicyStore


def load_policies(settings: Settings) -> PolicyStore:
    """Raises PolicyError naming the bad entry: the service does not start on a bad policy."""
    return PolicyStore(settings.POLICY_PATH)


CONTAINERS = ServiceContainers(SERVICE_NAME, service_providers)


def build_container(
    settings: Settings,
    engine: AsyncEngine,
    policies: PolicyStore,
    *extra: Provider,
    registry: CollectorRegistry | None = None,
    http: bool = True,
) -> AsyncContainer:
    """`extra` come last, so they may override (tests swap storage and the clock this way)."""
    context = {PolicyStore: policies}
    return CONTAINERS.build(settings, engine, *extra, registry=registry, http=http, context=context)


def build_worker_container(
    settings: Settings, engine: AsyncEngine, *extra: Provider
) -> AsyncContainer:
    context = {PolicyStore: load_policies(settings)}
    return CONTAINERS.worker(settings, engine, *extra, context=context)
