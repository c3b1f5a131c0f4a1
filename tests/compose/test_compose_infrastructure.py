"""The infrastructure file provides what the services and the seeds expect."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.platform_services import REPO_ROOT, SERVICES, SERVICES_BY_NAME, ServiceSpec
from tests.compose.compose_files import (
    ENV_EXAMPLE,
    INFRASTRUCTURE_FILE,
    PortMapping,
    command_of,
    container_environment,
    load_yaml,
    parse_env_file,
    platform_volumes,
    port_mappings,
)

pytestmark = pytest.mark.contract
PLACEHOLDER_SECRET = "change-me"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_one_postgres_15_per_service_with_its_database_and_a_healthcheck(
    spec: ServiceSpec, platform: dict[str, dict[str, Any]]
) -> None:
    database = platform[spec.db_service]
    environment = container_environment(database)

    assert database["image"].startswith("postgres:15")
    assert environment["POSTGRES_DB"] == spec.database
    assert "pg_isready" in " ".join(database["healthcheck"]["test"])
    assert port_mappings(database) == [], "in the whole platform the databases publish no port"
    assert port_mappings(infrastructure_alone()[spec.db_service]) == [
        PortMapping(spec.db_host_port, 5432, "127.0.0.1")
    ]
    assert database["container_name"] == f"huleedu_{spec.db_service}"


def infrastructure_alone() -> dict[str, dict[str, Any]]:
    """docker-compose.infrastructure.yml run on its own, for services run on the host."""
    return dict(load_yaml(INFRASTRUCTURE_FILE)["services"])


def test_alone_the_infrastructure_publishes_its_ports_on_loopback_only() -> None:
    published = {
        (name, mapping.host_ip, mapping.host)
        for name, service in infrastructure_alone().items()
        for mapping in port_mappings(service)
    }

    assert {host_ip for _name, host_ip, _port in published} == {"127.0.0.1"}
    assert ("kafka", "127.0.0.1", 9094) in published
    assert ("redis", "127.0.0.1", 6379) in published


def test_seed_facts_cj_container_name_and_file_service_port(
    platform: dict[str, dict[str, Any]],
) -> None:
    cj = SERVICES_BY_NAME["cj_assessment_service"]
    file_service = SERVICES_BY_NAME["file_service"]

    assert platform[cj.db_service]["container_name"] == "huleedu_cj_assessment_db"
    assert port_mappings(infrastructure_alone()[file_service.db_service])[0].host == 5439


def test_database_urls_use_the_postgres_credentials_of_the_containers(
    platform: dict[str, dict[str, Any]],
) -> None:
    for spec in SERVICES:
        database = container_environment(platform[spec.db_service])
        url = container_environment(platform[spec.name])[f"{spec.env_prefix}DATABASE_URL"]

        credentials = f"{database['POSTGRES_USER']}:{database['POSTGRES_PASSWORD']}@"
        assert f"//{credentials}{spec.db_service}:5432/{spec.database}" in url


def test_kafka_is_a_single_kraft_node_with_a_healthcheck(
    platform: dict[str, dict[str, Any]],
) -> None:
    kafka = platform["kafka"]
    environment = container_environment(kafka)

    assert environment["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert environment["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert "INTERNAL://kafka:9092" in environment["KAFKA_ADVERTISED_LISTENERS"]
    assert environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "kafka-broker-api-versions" in " ".join(kafka["healthcheck"]["test"])


def test_redis_7_persists_to_a_named_volume(platform: dict[str, dict[str, Any]]) -> None:
    redis = platform["redis"]

    assert redis["image"].startswith("redis:7")
    assert command_of(redis)[command_of(redis).index("--appendonly") + 1] == "yes"
    assert "redis_data:/data" in redis["volumes"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_every_stateful_container_keeps_its_data_in_a_declared_named_volume(
    platform: dict[str, dict[str, Any]],
) -> None:
    stateful = ["kafka", "redis", *(spec.db_service for spec in SERVICES)]
    for name in stateful:
        sources = [str(volume).split(":", 1)[0] for volume in platform[name]["volumes"]]

        assert sources, f"{name} keeps no volume"
        assert set(sources) <= platform_volumes(), f"{name} uses an undeclared volume"


def test_env_example_commits_no_secret_and_no_production_setting() -> None:
    values = parse_env_file(ENV_EXAMPLE)
    keys = [key for key in values if key.endswith("_API_KEY")]

    assert len(keys) == 2 * len(SERVICES)
    assert {values[key] for key in keys} == {PLACEHOLDER_SECRET}
    assert all(values[f"{spec.env_prefix}ENVIRONMENT"] == "development" for spec in SERVICES)
    assert ".env" in (REPO_ROOT / ".gitignore").read_text().splitlines()


def test_every_container_reads_env_example(platform: dict[str, dict[str, Any]]) -> None:
    images_of_ours = [
        name
        for name, service in platform.items()
        if service.get("image", "").startswith("huleedu/")
    ]
    without = [
        name
        for name in images_of_ours
        if "env.example" not in [entry["path"] for entry in platform[name]["env_file"]]
    ]

    # the topic set-up, the gateway, and each service's migration, API and worker
    assert len(images_of_ours) == 2 + 3 * len(SERVICES)
    assert without == []
