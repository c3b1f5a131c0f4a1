from __future__ import annotations

from typing import Any

import pytest

from tests.compose.compose_files import platform_services


@pytest.fixture(scope="session")
def platform() -> dict[str, dict[str, Any]]:
    """Every service `docker compose up` runs, by name."""
    return platform_services()
