"""Every compose file is valid against the Compose Specification's JSON schema (no Docker engine
here, so `docker compose config` cannot be the check)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.compose.compose_files import (
    COMPOSE_FILES,
    MAIN_FILE,
    included_paths,
    load_yaml,
    platform_services,
)

pytestmark = pytest.mark.contract
SCHEMA_PATH = Path(__file__).with_name("compose-spec.json")


def schema_errors(document: dict[str, Any]) -> list[str]:
    try:
        import jsonschema  # type: ignore[import-untyped]  # no types-jsonschema in the lock
    except ImportError:
        pytest.fail(
            "jsonschema is not installed in this environment: it is declared in the root dev "
            "group; run `./dev setup` (pdm sync) so the compose files can be validated",
            pytrace=False,
        )
    schema = json.loads(SCHEMA_PATH.read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_compose_file_matches_the_compose_specification(path: Path) -> None:
    assert schema_errors(load_yaml(path)) == []


def test_the_schema_rejects_an_invalid_compose_file() -> None:
    broken = {"services": {"api": {"image": "x", "depends_on": {"db": {"condition": "soon"}}}}}

    assert any("soon" in error for error in schema_errors(broken))


def test_docker_compose_yml_includes_the_infrastructure_the_services_and_observability() -> None:
    names = [path.name for path in included_paths(load_yaml(MAIN_FILE))]

    assert names == [
        "docker-compose.infrastructure.yml",
        "docker-compose.internal.yml",
        "docker-compose.services.yml",
        "docker-compose.observability.yml",
    ]


def test_every_dependency_names_a_service_of_the_platform() -> None:
    services = platform_services()
    dangling = [
        f"{name} -> {dependency}"
        for name, service in services.items()
        for dependency in service.get("depends_on", {})
        if dependency not in services
    ]

    assert dangling == []
