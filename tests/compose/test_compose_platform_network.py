"""The whole platform as `docker compose up` runs it: one image build, one published port on
loopback (the gateway's), everything else on an internal network."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compose.compose_files import MAIN_FILE, every_service, load_yaml, port_mappings

pytestmark = pytest.mark.contract
PLATFORM_IMAGE = "huleedu/platform:local"


def test_only_the_gateway_publishes_a_port_and_on_loopback(
    platform: dict[str, dict[str, Any]],
) -> None:
    published = {
        (name, mapping.host_ip, mapping.container)
        for name, service in platform.items()
        for mapping in port_mappings(service)
    }

    assert published == {("api_gateway_service", "127.0.0.1", 8080)}


def test_the_default_network_is_internal_and_only_the_edge_reaches_out(
    platform: dict[str, dict[str, Any]],
) -> None:
    on_edge = {name for name, service in platform.items() if "edge" in service.get("networks", [])}

    assert load_yaml(MAIN_FILE)["networks"]["default"]["internal"] is True
    assert on_edge == {"api_gateway_service", "cj_assessment_service_worker"}


def test_the_platform_image_is_built_by_one_service_and_never_pulled() -> None:
    ours = {name: s for name, s in every_service().items() if s.get("image") == PLATFORM_IMAGE}
    builders = [name for name, service in ours.items() if "build" in service]

    assert builders == ["kafka_topic_setup"]
    assert {ours[name].get("pull_policy") for name in ours if name not in builders} == {"never"}


def test_observability_and_the_demo_run_only_under_their_profiles(
    platform: dict[str, dict[str, Any]],
) -> None:
    optional = {
        name: service["profiles"]
        for name, service in every_service().items()
        if service.get("profiles")
    }

    assert optional == {
        "prometheus": ["observability"],
        "grafana": ["observability"],
        "otel-collector": ["observability"],
        "jaeger": ["observability"],
        "demo": ["demo"],
    }
    assert set(optional).isdisjoint(platform)
