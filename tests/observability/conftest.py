from __future__ import annotations

from typing import Any

import pytest

from tests.compose.compose_files import platform_services
from tests.observability.observability_files import ServiceProcess, service_processes


@pytest.fixture(scope="session")
def platform() -> dict[str, dict[str, Any]]:
    """The platform with its observability profile on."""
    return platform_services(frozenset({"observability"}))


@pytest.fixture(scope="session")
def processes(platform: dict[str, dict[str, Any]]) -> list[ServiceProcess]:
    found = service_processes(platform)
    assert any(p.is_worker for p in found)
    assert any(not p.is_worker for p in found)
    return found
