"""Teacher ids count only under the gateway's signature when the settings require it."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dishka import FromDishka, make_async_container
from quart import Blueprint
from quart_dishka import QuartProvider, inject
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.config import (
    PLACEHOLDER_SECRET,
    SecureServiceSettings,
    SettingsError,
    load_settings,
)
from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.identity import (
    INTERNAL_KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Caller,
    IdentityProvider,
    identity_signature,
    require_teacher,
    signed_identity_headers,
)
from huleedu_service_libs.testing.identity import assert_identity_refused

SECRET = "gateway-signing-secret-for-tests"
INTERNAL_KEY = "internal-key-for-signature-tests"
PATH = "/v1/classes/mine"


class SignedSettings(SecureServiceSettings):
    model_config = {**SecureServiceSettings.model_config, "env_prefix": "SIGNED_TEST_"}


@inject
async def whoami(caller: FromDishka[Caller]) -> dict[str, Any]:
    return {"user_id": caller.user_id, "org_id": caller.org_id, "principal": caller.principal}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_app(settings: SecureServiceSettings) -> HuleEduApp:
    classes = Blueprint("classes", __name__, url_prefix="/v1/classes")
    classes.before_request(require_teacher)
    classes.add_url_rule("/mine", view_func=whoami, methods=["GET", "POST"])
    return create_service_app(
        service_name="signed_service",
        container=make_async_container(
            QuartProvider(), CorrelationProvider(), IdentityProvider(settings)
        ),
        database_engine=create_async_engine(
            f"postgresql+asyncpg://u:p@127.0.0.1:{closed_port()}/x"
        ),
        blueprints=[classes],
    )


def settings(**values: Any) -> SecureServiceSettings:
    base = {
        "DATABASE_URL": "postgresql+asyncpg://unused@127.0.0.1/none",
        "INTERNAL_API_KEY": INTERNAL_KEY,
        "ADMIN_API_KEY": INTERNAL_KEY + "-admin",
        "GATEWAY_SIGNING_SECRET": SECRET,
    }
    return load_settings(SignedSettings, **(base | values))


@pytest.fixture
async def app() -> AsyncIterator[HuleEduApp]:
    app = build_app(settings(GATEWAY_IDENTITY_REQUIRED=True))
    async with app.test_app():
        yield app


async def call(app: HuleEduApp, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    sent = {"X-Correlation-ID": "req-9", **headers}
    response = await app.test_client().get(PATH, headers=sent)
    return response.status_code, await response.get_json()


def signed(user: str = "t-1", org: str | None = "o-1", **changes: Any) -> dict[str, str]:
    arguments: dict[str, Any] = {"user_id": user, "org_id": org, "method": "GET", "path": PATH}
    return signed_identity_headers(SECRET, **(arguments | changes))


async def test_a_signed_identity_is_the_caller(app: HuleEduApp) -> None:
    assert await call(app, signed()) == (
        200,
        {"user_id": "t-1", "org_id": "o-1", "principal": "teacher"},
    )


async def test_plain_headers_without_the_signature_are_refused(app: HuleEduApp) -> None:
    status, body = await call(app, {"X-User-ID": "t-1"})
    assert_identity_refused(status, body, SIGNATURE_HEADER, "req-9")
    assert "missing" in body["message"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h: h | {"X-User-ID": "t-2"}, id="other user"),
        pytest.param(lambda h: h | {"X-Org-ID": "o-2"}, id="other org"),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "X-Org-ID"}, id="org dropped"),
        pytest.param(lambda h: h | {SIGNATURE_HEADER: "0" * 64}, id="forged"),
        pytest.param(lambda h: h | {TIMESTAMP_HEADER: str(int(h[TIMESTAMP_HEADER]) + 1)}, id="ts"),
    ],
)
async def test_an_identity_changed_after_signing_is_refused(app: HuleEduApp, tamper: Any) -> None:
    status, body = await call(app, tamper(signed()))
    assert_identity_refused(status, body, SIGNATURE_HEADER, "req-9")


async def test_a_signature_for_another_method_or_path_is_refused(app: HuleEduApp) -> None:
    other_path = await call(app, signed(path="/v1/classes/other"))
    other_method = await call(app, signed(method="POST"))
    assert [other_path[0], other_method[0]] == [401, 401]


@pytest.mark.parametrize("age", [-31, 31, 3600])
async def test_a_stale_or_future_signature_is_refused(app: HuleEduApp, age: int) -> None:
    status, body = await call(app, signed(now=time.time() - age))
    assert_identity_refused(status, body, SIGNATURE_HEADER, "req-9")
    assert "expired" in body["message"]


async def test_a_signature_from_another_secret_is_refused(app: HuleEduApp) -> None:
    headers = signed_identity_headers(
        "another-secret-entirely", user_id="t-1", org_id=None, method="GET", path=PATH
    )
    assert (await call(app, headers))[0] == 401


async def test_an_internal_call_needs_no_signature(app: HuleEduApp) -> None:
    status, body = await call(app, {INTERNAL_KEY_HEADER: INTERNAL_KEY, "X-User-ID": "u-1"})
    assert (status, body["principal"], body["user_id"]) == (200, "internal", "u-1")


async def test_development_accepts_plain_headers() -> None:
    app = build_app(settings())
    async with app.test_app():
        assert (await call(app, {"X-User-ID": "t-1"}))[0] == 200


async def test_production_requires_the_signature_by_default() -> None:
    production = settings(ENVIRONMENT="production")
    app = build_app(production)
    async with app.test_app():
        status, body = await call(app, {"X-User-ID": "t-1", "X-Org-ID": "o-1"})
        assert_identity_refused(status, body, SIGNATURE_HEADER, "req-9")
        assert (await call(app, signed()))[0] == 200
    assert production.gateway_identity_required


def test_production_refuses_the_placeholder_signing_secret() -> None:
    with pytest.raises(SettingsError, match="SIGNED_TEST_GATEWAY_SIGNING_SECRET"):
        settings(ENVIRONMENT="production", GATEWAY_SIGNING_SECRET=PLACEHOLDER_SECRET)
    opted_out = settings(
        ENVIRONMENT="production",
        GATEWAY_IDENTITY_REQUIRED=False,
        GATEWAY_SIGNING_SECRET=PLACEHOLDER_SECRET,
    )
    assert not opted_out.gateway_identity_required


def test_the_signature_covers_each_part() -> None:
    base: dict[str, Any] = {
        "user_id": "t-1",
        "org_id": "o-1",
        "method": "GET",
        "path": PATH,
        "timestamp": 100,
    }
    variants = [
        base,
        base | {"user_id": "t-2"},
        base | {"org_id": None},
        base | {"method": "PUT"},
        base | {"path": "/v1/x"},
        base | {"timestamp": 101},
    ]
    assert len({identity_signature(SECRET, **variant) for variant in variants}) == len(variants)
