"""The one identity rule, through a real app built by create_service_app."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dishka import FromDishka, make_async_container
from quart import Blueprint
from quart_dishka import QuartProvider, inject
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.config import SecureServiceSettings
from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.identity import (
    ADMIN_KEY_HEADER,
    ADMIN_USER_HEADER,
    INTERNAL_KEY_HEADER,
    MAX_ID_LENGTH,
    ORG_HEADER,
    USER_HEADER,
    Caller,
    IdentityProvider,
    Principal,
    UnguardedRouteError,
    require_admin_key,
    require_internal_key,
    require_teacher,
)
from huleedu_service_libs.testing.identity import BLANK_IDS, MALFORMED_IDS, assert_identity_refused

SERVICE = "identity_test_service"
INTERNAL_KEY = "internal-key-for-identity-tests"
ADMIN_KEY = "admin-key-for-identity-tests"


@inject
async def whoami(caller: FromDishka[Caller]) -> dict[str, Any]:
    return {
        "principal": caller.principal,
        "user_id": caller.user_id,
        "org_id": caller.org_id,
        "admin_user": caller.admin_user,
    }


@inject
async def my_teacher_id(caller: FromDishka[Caller]) -> dict[str, str]:
    return {"teacher_id": caller.teacher_id}


def guarded(name: str, guard: Any) -> Blueprint:
    blueprint = Blueprint(name, __name__, url_prefix=f"/{name}")
    if guard is not None:
        blueprint.before_request(guard)
    blueprint.add_url_rule("/whoami", view_func=whoami, methods=["GET"])
    blueprint.add_url_rule("/teacher-id", view_func=my_teacher_id, methods=["GET"])
    return blueprint


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_app() -> HuleEduApp:
    settings = SecureServiceSettings(
        DATABASE_URL="postgresql+asyncpg://unused@127.0.0.1/none",
        INTERNAL_API_KEY=INTERNAL_KEY,
        ADMIN_API_KEY=ADMIN_KEY,
    )
    container = make_async_container(
        QuartProvider(), CorrelationProvider(), IdentityProvider(settings)
    )
    return create_service_app(
        service_name=SERVICE,
        container=container,
        # Never connected: no test here asks /healthz.
        database_engine=create_async_engine(
            f"postgresql+asyncpg://u:p@127.0.0.1:{closed_port()}/x"
        ),
        blueprints=[
            guarded("teacher", require_teacher),
            guarded("internal", require_internal_key),
            guarded("admin", require_admin_key),
            guarded("open", None),
        ],
    )


@pytest.fixture
async def app() -> AsyncIterator[HuleEduApp]:
    app = build_app()
    async with app.test_app():
        yield app


async def call(app: HuleEduApp, path: str, **headers: str) -> tuple[int, dict[str, Any]]:
    sent = {"X-Correlation-ID": "req-7", **{k.replace("_", "-"): v for k, v in headers.items()}}
    response = await app.test_client().get(path, headers=sent)
    return response.status_code, await response.get_json()


def assert_refused(status: int, body: dict[str, Any], header: str) -> None:
    assert_identity_refused(status, body, header, "req-7")
    assert body["service"] == SERVICE


@pytest.mark.parametrize("value", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
@pytest.mark.parametrize("path", ["/teacher/whoami", "/open/whoami"])
async def test_a_malformed_user_id_is_refused_naming_the_header(
    app: HuleEduApp, path: str, value: str
) -> None:
    assert_refused(*await call(app, path, X_User_ID=value), "X-User-ID")


@pytest.mark.parametrize("value", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
async def test_a_malformed_org_id_is_refused_naming_the_header(app: HuleEduApp, value: str) -> None:
    status, body = await call(app, "/teacher/whoami", X_User_ID="t-1", X_Org_ID=value)
    assert_refused(status, body, "X-Org-ID")


async def test_a_malformed_user_id_is_refused_on_internal_routes_too(app: HuleEduApp) -> None:
    status, body = await call(
        app, "/internal/whoami", X_Internal_API_Key=INTERNAL_KEY, X_User_ID="a\tb"
    )
    assert_refused(status, body, "X-User-ID")


@pytest.mark.parametrize("value", [None, *BLANK_IDS.values()], ids=["absent", *BLANK_IDS])
async def test_a_teacher_route_needs_a_user_id(app: HuleEduApp, value: str | None) -> None:
    headers = {} if value is None else {"X_User_ID": value}
    status, body = await call(app, "/teacher/whoami", **headers)
    assert_refused(status, body, "X-User-ID")
    assert "required" in body["message"]


async def test_a_teacher_gets_stripped_ids_up_to_255_characters(app: HuleEduApp) -> None:
    longest = "u" * 255
    status, body = await call(app, "/teacher/whoami", X_User_ID=f"  {longest} ", X_Org_ID=" o-1")
    assert (status, body) == (
        200,
        {"principal": "teacher", "user_id": longest, "org_id": "o-1", "admin_user": None},
    )


async def test_a_blank_org_id_is_no_org(app: HuleEduApp) -> None:
    status, body = await call(app, "/teacher/whoami", X_User_ID="t-1", X_Org_ID="  ")
    assert (status, body["org_id"]) == (200, None)


@pytest.mark.parametrize("key", [None, "", "wrong", ADMIN_KEY, INTERNAL_KEY + " "])
async def test_internal_routes_need_the_internal_key(app: HuleEduApp, key: str | None) -> None:
    headers = {} if key is None else {"X_Internal_API_Key": key}
    assert_refused(*await call(app, "/internal/whoami", **headers), "X-Internal-API-Key")


async def test_an_internal_call_may_name_the_user_it_acts_for(app: HuleEduApp) -> None:
    alone = await call(app, "/internal/whoami", X_Internal_API_Key=INTERNAL_KEY)
    acting = await call(app, "/internal/whoami", X_Internal_API_Key=INTERNAL_KEY, X_User_ID="u-1")
    assert [(status, body["principal"], body["user_id"]) for status, body in (alone, acting)] == [
        (200, "internal", None),
        (200, "internal", "u-1"),
    ]


@pytest.mark.parametrize("key", [None, "wrong", INTERNAL_KEY])
async def test_admin_routes_need_the_admin_key(app: HuleEduApp, key: str | None) -> None:
    headers = {} if key is None else {"X_Admin_API_Key": key}
    assert_refused(*await call(app, "/admin/whoami", **headers), "X-Admin-API-Key")


async def test_an_admin_names_itself_under_the_same_rule(app: HuleEduApp) -> None:
    named = await call(app, "/admin/whoami", X_Admin_API_Key=ADMIN_KEY, X_Admin_User=" ops ")
    status, body = await call(app, "/admin/whoami", X_Admin_API_Key=ADMIN_KEY, X_Admin_User="o\x00")
    assert (named[0], named[1]["principal"], named[1]["admin_user"]) == (200, "admin", "ops")
    assert_refused(status, body, "X-Admin-User")


async def test_a_request_without_credentials_is_anonymous_where_no_guard_asks(
    app: HuleEduApp,
) -> None:
    status, body = await call(app, "/open/whoami")
    assert (status, body["principal"], body["user_id"]) == (200, "anonymous", None)


async def test_teacher_id_is_known_only_behind_the_teacher_guard(app: HuleEduApp) -> None:
    status, body = await call(app, "/teacher/teacher-id", X_User_ID="t-1")
    assert (status, body) == (200, {"teacher_id": "t-1"})
    with pytest.raises(UnguardedRouteError):
        _ = Caller(Principal.INTERNAL).teacher_id


async def test_the_exported_header_names_are_the_headers_the_rule_reads(app: HuleEduApp) -> None:
    # A gateway strips and sets exactly these names, so they must be the ones read here.
    teacher = {USER_HEADER: "t-1", ORG_HEADER: "o-1", "X-Correlation-ID": "req-7"}
    admin = {ADMIN_KEY_HEADER: ADMIN_KEY, ADMIN_USER_HEADER: "ops", "X-Correlation-ID": "req-7"}
    internal = {INTERNAL_KEY_HEADER: INTERNAL_KEY, "X-Correlation-ID": "req-7"}
    client = app.test_client()
    answers = [
        await (await client.get(path, headers=headers)).get_json()
        for path, headers in [
            ("/teacher/whoami", teacher),
            ("/admin/whoami", admin),
            ("/internal/whoami", internal),
        ]
    ]
    assert [(a["principal"], a["user_id"], a["org_id"], a["admin_user"]) for a in answers] == [
        ("teacher", "t-1", "o-1", None),
        ("admin", None, None, "ops"),
        ("internal", None, None, None),
    ]


async def test_an_id_one_character_over_the_limit_is_refused(app: HuleEduApp) -> None:
    assert (await call(app, "/teacher/whoami", X_User_ID="u" * MAX_ID_LENGTH))[0] == 200
    too_long = await call(app, "/teacher/whoami", X_User_ID="u" * (MAX_ID_LENGTH + 1))
    assert_refused(*too_long, USER_HEADER)
