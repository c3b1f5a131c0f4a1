"""Dishka providers of the infrastructure every service uses, and the container factory."""

from huleedu_service_libs.di.container import ServiceContainers, make_service_container
from huleedu_service_libs.di.infrastructure import (
    KafkaProvider,
    RelayProvider,
)
from huleedu_service_libs.di.service import new_registry

__all__ = [
    "KafkaProvider",
    "RelayProvider",
    "ServiceContainers",
    "make_service_container",
    "new_registry",
]
