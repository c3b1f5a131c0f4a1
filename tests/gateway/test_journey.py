"""A teacher's journey through the gateway to the real class management service (its own
database, production mode: teacher ids only under the gateway's signature)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.api_gateway_service.app import create_app as create_gateway
from services.api_gateway_service.tests.support import (
    SIGNING_SECRET,
    gateway_settings,
    public_pem,
    rsa_key,
    serving,
    token,
)
from services.class_management_service.app import create_app as create_class_management
from services.class_management_service.config import load_service_settings
from services.class_management_service.tests.conftest import SERVICE_DIR

pytestmark = pytest.mark.integration
KEY = rsa_key()


@dataclass
class Platform:
    gateway: str
    class_management: str


@pytest.fixture
def service_dir() -> Any:
    return SERVICE_DIR


@pytest.fixture
async def platform(database_url: str, redis_url: str) -> AsyncIterator[Platform]:
    settings = load_service_settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ENVIRONMENT="production",
        INTERNAL_API_KEY="internal-key-for-the-journey",
        ADMIN_API_KEY="admin-key-for-the-journey",
        GATEWAY_SIGNING_SECRET=SIGNING_SECRET,
    )
    async with serving(create_class_management(settings)) as class_management:
        gateway = gateway_settings(
            public_pem(KEY), REDIS_URL=redis_url, CLASS_MANAGEMENT_URL=class_management
        )
        async with serving(create_gateway(gateway)) as gateway_url:
            yield Platform(gateway_url, class_management)


async def test_a_teacher_creates_and_reads_a_class_through_the_gateway(platform: Platform) -> None:
    teacher = {"Authorization": f"Bearer {token(KEY, user='teacher-7')}"}
    other = {"Authorization": f"Bearer {token(KEY, user='teacher-8')}"}
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as client:
        created = await client.post(
            "/v1/classes",
            json={"name": "9A", "course_codes": ["ENG5"]},
            headers=teacher | {"X-Correlation-ID": "journey-7"},
        )
        class_id = created.json()["id"]
        mine = await client.get(f"/v1/classes/{class_id}", headers=teacher)
        listed = await client.get("/v1/classes", headers=teacher)
        # The header a client sends is replaced by the token's user: still teacher-8's view.
        foreign = await client.get(
            f"/v1/classes/{class_id}", headers=other | {"X-User-ID": "teacher-7"}
        )

    assert created.status_code == 201, created.text
    assert created.headers["X-Correlation-ID"] == "journey-7"
    assert (mine.status_code, mine.json()["name"]) == (200, "9A")
    assert [item["id"] for item in listed.json()["items"]] == [class_id]
    assert foreign.status_code == 404


async def test_a_direct_call_without_the_gateways_signature_is_a_401(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.class_management) as client:
        response = await client.get(
            "/v1/classes", headers={"X-User-ID": "teacher-7", "X-Correlation-ID": "direct-1"}
        )
    body = response.json()
    assert response.status_code == 401, body
    assert body["error_code"] == "AUTHENTICATION_ERROR"
    assert body["details"] == {"header": "X-Gateway-Signature"}
