"""The containers of the two processes, from the library's factory and this service's
providers. Nothing is built at import time, and the schema is never created here: the Alembic
chain owns it."""

from __future__ import annotations

from dishka import Provider

from huleedu_service_libs.di import ServiceContainers
from services.class_management_service.config import SERVICE_NAME
from services.class_management_service.di import ServiceProvider, UseCaseProvider


def _providers() -> list[Provider]:
    return [ServiceProvider(), UseCaseProvider()]


CONTAINERS = ServiceContainers(SERVICE_NAME, _providers)
build_container = CONTAINERS.build
build_worker_container = CONTAINERS.worker
