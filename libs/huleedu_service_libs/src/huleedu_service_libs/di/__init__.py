"""Dishka providers of the infrastructure every service uses, and the container factory."""

from huleedu_service_libs.di.container import ServiceContainers, make_service_container
from huleedu_service_libs.di.infrastructure import (
    DatabaseProvider,
    EventsProvider,
    KafkaProvider,
    RedisProvider,
    RelayProvider,
)
from huleedu_service_libs.di.service import ServiceInfo, new_registry

__all__ = [
    "DatabaseProvider",
    "EventsProvider",
    "KafkaProvider",
    "RedisProvider",
    "RelayProvider",
    "ServiceContainers",
    "ServiceInfo",
    "make_service_container",
    "new_registry",
]
