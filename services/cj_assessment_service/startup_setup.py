"""The containers of the two processes, from the library's factory and this service's
providers; the worker's adds Kafka, the outbox relay and the assessment loop."""

from __future__ import annotations

from dishka import Provider

from huleedu_service_libs.di import ServiceContainers
from services.cj_assessment_service.config import SERVICE_NAME
from services.cj_assessment_service.di import WorkerLoopProvider, service_providers


def _worker_providers() -> list[Provider]:
    return [WorkerLoopProvider()]


CONTAINERS = ServiceContainers(SERVICE_NAME, service_providers, _worker_providers)
build_container = CONTAINERS.build
build_worker_container = CONTAINERS.worker
