import asyncio
import socket

from quart import Quart

from huleedu_service_libs.app import (
    HealthCheck,
    kafka_check,
    redis_check,
    register_health_route,
    run_health_checks,
)


async def healthy() -> None:
    return None


async def broken() -> None:
    raise ConnectionRefusedError("db.internal:5432 password=secret")


async def hanging() -> None:
    await asyncio.Event().wait()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_with(*checks: HealthCheck) -> Quart:
    app = Quart(__name__)
    register_health_route(app, "file_service", checks, timeout_seconds=0.2)
    return app


async def test_all_checks_passing_is_200_with_per_check_results() -> None:
    app = app_with(HealthCheck("database", healthy), HealthCheck("redis", healthy))

    response = await app.test_client().get("/healthz")

    body = await response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["service"] == "file_service"
    assert body["failing"] == []
    assert {name: result["status"] for name, result in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
    }


async def test_a_failing_check_is_503_naming_it_without_internals() -> None:
    app = app_with(HealthCheck("database", healthy), HealthCheck("redis", broken))

    response = await app.test_client().get("/healthz")

    body = await response.get_json()
    assert response.status_code == 503
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"] == {
        "status": "error",
        "error": "ConnectionRefusedError",
        "duration_ms": body["checks"]["redis"]["duration_ms"],
    }
    assert "secret" not in str(body)


async def test_a_hanging_check_times_out_and_is_named() -> None:
    app = app_with(HealthCheck("kafka", hanging), HealthCheck("database", healthy))

    response = await app.test_client().get("/healthz")

    body = await response.get_json()
    assert response.status_code == 503
    assert body["failing"] == ["kafka"]
    assert body["checks"]["kafka"]["error"] == "no answer within 0.2s"
    assert body["checks"]["database"]["status"] == "ok"


async def test_checks_run_concurrently() -> None:
    other_started = asyncio.Event()

    async def waits_for_the_other() -> None:
        await other_started.wait()

    async def starts() -> None:
        other_started.set()

    # Run one after the other, the first would wait for a check that has not started yet.
    results = await run_health_checks(
        [HealthCheck("a", waits_for_the_other), HealthCheck("b", starts)], timeout_seconds=1
    )

    assert {result["status"] for result in results.values()} == {"ok"}


async def test_redis_check_against_nothing_fails() -> None:
    results = await run_health_checks([redis_check(f"redis://127.0.0.1:{closed_port()}/0")], 2)

    assert results["redis"]["status"] == "error"


async def test_kafka_check_against_nothing_fails() -> None:
    results = await run_health_checks([kafka_check(f"127.0.0.1:{closed_port()}")], 2)

    assert results["kafka"]["status"] == "error"
