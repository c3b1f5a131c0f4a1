"""Real-time notifications go to ws:{user_id} after commit; Redis being down never fails a
request or loses its event."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client
from redis.asyncio import Redis

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.testing.embedded import EmbeddedRedis
from services.class_management_service.app import create_app
from services.class_management_service.config import load_service_settings
from services.class_management_service.tests.integration.conftest import TEACHER

pytestmark = pytest.mark.integration
Sql = Callable[..., Awaitable[list[Any]]]
NEW_CLASS = {"name": "9A", "course_codes": ["ENG5"]}


async def test_the_teacher_is_notified_after_commit(client: Client, redis_url: str) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    pubsub = redis.pubsub()
    await pubsub.subscribe("ws:teacher-1")
    await pubsub.get_message(timeout=1)  # the subscription confirmation

    response = await client.post("/v1/classes", json=NEW_CLASS, headers=TEACHER)
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)

    await pubsub.aclose()
    await redis.aclose()
    assert message is not None
    body = json.loads(message["data"])
    assert (body["type"], body["data"]["class_id"]) == (
        "class_created",
        (await response.get_json())["id"],
    )


async def test_a_refused_request_notifies_nobody(client: Client, redis_url: str) -> None:
    student = {"first_name": "Ada", "last_name": "L", "email": "ada@x.se"}
    await client.post("/v1/classes/students", json=student, headers=TEACHER)
    redis = Redis.from_url(redis_url, decode_responses=True)
    pubsub = redis.pubsub()
    await pubsub.subscribe("ws:teacher-1")
    await pubsub.get_message(timeout=1)

    duplicate = await client.post("/v1/classes/students", json=student, headers=TEACHER)
    unknown_course = await client.post(
        "/v1/classes", json={"name": "9B", "course_codes": ["MATH9"]}, headers=TEACHER
    )
    accepted = await client.post("/v1/classes", json=NEW_CLASS, headers=TEACHER)
    first = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)

    await pubsub.aclose()
    await redis.aclose()
    assert (duplicate.status_code, unknown_course.status_code) == (409, 404)
    assert first is not None
    body = json.loads(first["data"])  # the first notification is the accepted request's
    assert (body["type"], body["data"]["class_id"]) == (
        "class_created",
        (await accepted.get_json())["id"],
    )


@pytest.fixture
async def app_without_redis(
    database_url: str, private_redis_server: EmbeddedRedis
) -> AsyncIterator[HuleEduApp]:
    private_redis_server.stop()
    settings = load_service_settings(
        DATABASE_URL=database_url,
        REDIS_URL=private_redis_server.url,
        ENVIRONMENT="testing",
        NOTIFICATION_TIMEOUT_SECONDS=0.2,
    )
    app = create_app(settings)
    async with app.test_app():
        yield app


async def test_redis_down_never_fails_a_request(app_without_redis: HuleEduApp, sql: Sql) -> None:
    client = app_without_redis.test_client()

    created = await client.post("/v1/classes", json=NEW_CLASS, headers=TEACHER)
    health = await client.get("/healthz")
    await asyncio.sleep(0)  # let the relay wake-up attempt run and fail

    assert created.status_code == 201
    assert health.status_code == 200
    assert len(await sql("SELECT id FROM event_outbox")) == 1
    metrics = await (await client.get("/metrics")).get_data(as_text=True)
    assert "huleedu_notifications_failed_total 1.0" in metrics
