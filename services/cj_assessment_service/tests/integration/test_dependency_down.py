"""The real app and worker wiring with PostgreSQL, entitlements and the file service each behind
a TcpProxy, taken away in turn.

PostgreSQL down is a 503 "The database is unavailable" on the routes, with the caller's
correlation id. No route calls another service or Kafka (the runner and the relay do), so those
are checked where CJ meets them: its clients, built by the production container, report
"<service> is unavailable", which the runner treats as "ask again later" (awaiting
authorization, texts unavailable), never as a refusal or a missing text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from quart.wrappers import Response

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.testing.proxy import TcpProxy
from huleedu_service_libs.testing.unavailable import assert_quart_unavailable
from services.cj_assessment_service.protocols import (
    ContentSource,
    ContentUnavailable,
    CreditGateway,
    CreditsUnavailable,
)
from services.cj_assessment_service.tests.integration.conftest import (
    Externals,
    Worker,
    teacher,
)

pytestmark = pytest.mark.integration


@dataclass
class Proxies:
    database: TcpProxy
    entitlements: TcpProxy
    files: TcpProxy


@pytest.fixture
async def proxies(database_url: str, externals: Externals) -> AsyncIterator[Proxies]:
    async with (
        TcpProxy.in_front_of(database_url) as database,
        TcpProxy.in_front_of(externals.urls["ENTITLEMENTS_URL"]) as entitlements,
        TcpProxy.in_front_of(externals.urls["FILE_SERVICE_URL"]) as files,
    ):
        yield Proxies(database, entitlements, files)


@pytest.fixture
def settings_overrides(proxies: Proxies, database_url: str, externals: Externals) -> dict[str, Any]:
    return {
        "DATABASE_URL": proxies.database.url(database_url),
        "ENTITLEMENTS_URL": proxies.entitlements.url(externals.urls["ENTITLEMENTS_URL"]),
        "FILE_SERVICE_URL": proxies.files.url(externals.urls["FILE_SERVICE_URL"]),
    }


async def assert_database_down(response: Response, correlation: str) -> None:
    await assert_quart_unavailable(
        response, service="cj_assessment_service", correlation=correlation
    )


async def test_postgres_down_is_a_503_until_it_is_back(app: HuleEduApp, proxies: Proxies) -> None:
    client = app.test_client()
    assert (await client.get("/v1/anchors", headers=teacher())).status_code == 200

    await proxies.database.stop()
    anchors = await client.get("/v1/anchors", headers=teacher(**{"X-Correlation-ID": "list"}))
    status = await client.get(
        f"/v1/assessments/{uuid4()}", headers=teacher(**{"X-Correlation-ID": "status"})
    )
    await proxies.database.start()

    await assert_database_down(anchors, "list")
    await assert_database_down(status, "status")
    assert (await client.get("/v1/anchors", headers=teacher())).status_code == 200


async def test_entitlements_down_is_unavailable_credits_not_a_refusal(
    worker: Worker, proxies: Proxies
) -> None:
    credits = await worker.container.get(CreditGateway)
    hold = {"user_id": "teacher-1", "org_id": None, "quantity": 3, "resource_id": "a-1"}
    await credits.authorize(**hold, key="before")

    await proxies.entitlements.stop()
    with pytest.raises(CreditsUnavailable) as unavailable:
        await credits.authorize(**hold, key="while-down")
    await proxies.entitlements.start()
    await credits.authorize(**hold, key="after")

    assert str(unavailable.value).startswith("entitlements_service is unavailable")
    assert sorted(worker.externals.entitlements.holds) == ["after", "before"]


async def test_the_file_service_down_is_unavailable_content_not_a_missing_text(
    worker: Worker, proxies: Proxies
) -> None:
    content = await worker.container.get(ContentSource)
    worker.externals.files.texts["text-1"] = "An essay about rivers."
    assert await content.text("text-1") == "An essay about rivers."

    await proxies.files.stop()
    with pytest.raises(ContentUnavailable) as unavailable:
        await content.text("text-1")
    await proxies.files.start()

    assert str(unavailable.value).startswith("file_service is unavailable")
    assert await content.text("text-1") == "An essay about rivers."
