"""Each service's API serves, on /metrics, the registry its container gives everything else: the
default collectors and the service's own metrics, not only the app's HTTP metrics."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from scripts.platform_services import SERVICES, ServiceSpec
from tests.compose import service_modules as code

pytestmark = pytest.mark.contract


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
async def test_the_api_serves_its_containers_registry_with_the_default_collectors(
    spec: ServiceSpec,
) -> None:
    app = code.build_app(spec)
    try:
        container_registry = await app.container.get(CollectorRegistry)
        response = await app.test_client().get("/metrics")
        served = {
            family.name
            for family in text_string_to_metric_families((await response.get_data()).decode())
        }
    finally:
        await app.container.close()
        await app.database_engine.dispose()

    assert response.status_code == 200
    assert {"process_cpu_seconds", "python_gc_objects_collected", "http_requests"} <= served
    assert {family.name for family in container_registry.collect()} <= served
