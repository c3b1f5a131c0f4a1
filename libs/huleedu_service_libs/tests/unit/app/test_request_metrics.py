from dishka import Provider, Scope, make_async_container
from prometheus_client import CollectorRegistry
from quart import Quart
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import (
    UNMATCHED_ROUTE,
    HttpMetrics,
    HuleEduApp,
    eager_metrics,
    setup_request_metrics,
)


def build_app() -> tuple[Quart, HttpMetrics]:
    app = Quart(__name__)
    metrics = setup_request_metrics(app, CollectorRegistry())

    @app.get("/classes/<class_id>")
    async def get_class(class_id: str) -> dict[str, str]:
        return {"id": class_id}

    return app, metrics


def count(metrics: HttpMetrics, method: str, route: str, status: str) -> float | None:
    return metrics.registry.get_sample_value(
        "http_requests_total", {"method": method, "route": route, "status": status}
    )


async def test_requests_are_labelled_by_route_template() -> None:
    app, metrics = build_app()
    client = app.test_client()

    await client.get("/classes/1")
    await client.get("/classes/2")

    assert count(metrics, "GET", "/classes/<class_id>", "200") == 2
    latency = metrics.registry.get_sample_value(
        "http_request_duration_seconds_count",
        {"method": "GET", "route": "/classes/<class_id>", "status": "200"},
    )
    assert latency == 2


async def test_unmatched_paths_and_odd_methods_do_not_become_labels() -> None:
    app, metrics = build_app()
    client = app.test_client()

    await client.get("/secret/token/abc")
    await client.open("/classes/1", method="PURGE")  # type: ignore[call-arg]

    assert count(metrics, "GET", UNMATCHED_ROUTE, "404") == 1
    assert count(metrics, "OTHER", UNMATCHED_ROUTE, "405") == 1
    exposition = await (await client.get("/metrics")).get_data(as_text=True)
    assert "/secret/token/abc" not in exposition
    assert "PURGE" not in exposition


async def test_metrics_endpoint_serves_prometheus_text() -> None:
    app, _ = build_app()
    client = app.test_client()
    await client.get("/classes/7")

    response = await client.get("/metrics")

    text = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert 'http_requests_total{method="GET",route="/classes/<class_id>",status="200"} 1.0' in text


def test_several_apps_in_one_process_have_separate_registries() -> None:
    (_, first), (_, second) = build_app(), build_app()

    assert first.registry is not second.registry


async def test_eager_metrics_are_resolved_before_serving() -> None:
    built: list[str] = []

    class Probe:
        def __init__(self) -> None:
            built.append("probe")

    provider = Provider(scope=Scope.APP)
    provider.provide(Probe)
    app = HuleEduApp(__name__)
    app.container = make_async_container(provider)
    app.database_engine = create_async_engine("postgresql+asyncpg://unused@127.0.0.1:1/unused")
    eager_metrics(app, Probe)
    assert built == []
    async with app.test_app():
        assert built == ["probe"]
    await app.container.close()
    await app.database_engine.dispose()
