"""Request metrics on a registry owned by the app, labelled by route template, never raw path.

With several Uvicorn workers, set PROMETHEUS_MULTIPROC_DIR (an empty directory, per start) before
the processes start: every worker then writes its samples there and `/metrics`, whichever worker
answers, reports the sum over all of them instead of one worker's share.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from quart import Quart, Response, g, request
from quart_schema import hide

from huleedu_service_libs.app.huleedu_app import HuleEduApp

METRICS_EXTENSION = "metrics"
UNMATCHED_ROUTE = "<unmatched>"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LABELS = ("method", "route", "status")


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests_total = Counter(
            "http_requests_total", "HTTP requests answered", _LABELS, registry=registry
        )
        self.request_duration_seconds = Histogram(
            "http_request_duration_seconds", "HTTP request latency", _LABELS, registry=registry
        )

    def observe(self, method: str, route: str, status: int, seconds: float | None) -> None:
        labels = (method if method in _KNOWN_METHODS else "OTHER", route, str(status))
        self.requests_total.labels(*labels).inc()
        if seconds is not None:
            self.request_duration_seconds.labels(*labels).observe(seconds)


def setup_request_metrics(app: Quart, registry: CollectorRegistry) -> HttpMetrics:
    metrics = HttpMetrics(registry)
    app.extensions[METRICS_EXTENSION] = metrics

    async def record(response: Response) -> Response:
        started: float | None = g.get("request_started")
        elapsed = None if started is None else time.perf_counter() - started
        metrics.observe(request.method, _route_template(), response.status_code, elapsed)
        return response

    @hide
    async def metrics_view() -> Response:
        body = generate_latest(exposed_registry(registry))
        return Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)

    # Timer first of all hooks, so the latency includes them.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(record)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
    return metrics


def eager_metrics(app: HuleEduApp, *metric_classes: type[Any]) -> None:
    """Resolves the service's metrics classes from its container before serving: Dishka builds
    APP-scoped objects when first asked for, and families nobody has asked for yet would be
    missing from /metrics (a dashboard shows no series instead of a zero)."""

    async def resolve() -> None:
        for metric_class in metric_classes:
            await app.container.get(metric_class)

    app.before_serving(resolve)


def exposed_registry(registry: CollectorRegistry) -> CollectorRegistry:
    """The process's registry, or the sum over every worker process in multiprocess mode."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return registry
    combined = CollectorRegistry()
    MultiProcessCollector(combined, path=directory)  # type: ignore[no-untyped-call]
    return combined


async def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _route_template() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED_ROUTE
