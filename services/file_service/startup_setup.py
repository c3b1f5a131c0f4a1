"""The containers of the two processes, from the library's factory and this service's
providers; the worker's adds extraction, the liveness lock, processing, Kafka and the relay."""

from __future__ import annotations

from dishka import Provider

from huleedu_service_libs.di import ServiceContainers
from services.file_service.config import SERVICE_NAME
from services.file_service.di import WorkerProvider, service_providers


def _worker_providers() -> list[Provider]:
    return [WorkerProvider()]


CONTAINERS = ServiceContainers(SERVICE_NAME, service_providers, _worker_providers)
build_container = CONTAINERS.build
build_worker_container = CONTAINERS.worker
