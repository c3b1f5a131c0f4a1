"""The Grafana dashboards of observability/grafana/dashboards/, written from one description.

One dashboard per service (its API, its worker, its database pool, its business metrics), one for
the outbox relays and one for the Kafka consumers. Every query names a job, which is the compose
service name of the process (observability/prometheus/prometheus.yml).

    python -m scripts.grafana_dashboards          # rewrite the JSON files
    python -m scripts.grafana_dashboards --check  # exit 1 when a committed file differs
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.platform_services import REPO_ROOT, SERVICES, ServiceSpec

DASHBOARD_DIR = REPO_ROOT / "observability" / "grafana" / "dashboards"
PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
RATE = "[5m]"
_WIDTH = 12
_HEIGHT = 8


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"


def _p95(metric: str, selector: str, by: str = "") -> str:
    labels = f"le, {by}" if by else "le"
    return (
        f"histogram_quantile(0.95, sum by ({labels}) (rate({metric}_bucket{{{selector}}}{RATE})))"
    )


def _rate(metric: str, selector: str, by: str) -> str:
    return f"sum by ({by}) (rate({metric}{{{selector}}}{RATE}))"


def api_panels(job: str) -> list[Panel]:
    selector = f'job="{job}"'
    errors = f'job="{job}", status=~"5.."'
    return [
        Panel(
            "Requests by route",
            ((_rate("http_requests_total", selector, "route"), "{{route}}"),),
            "reqps",
        ),
        Panel(
            "5xx answers by route",
            ((_rate("http_requests_total", errors, "route"), "{{route}}"),),
            "reqps",
        ),
        Panel(
            "Latency p95 by route",
            ((_p95("http_request_duration_seconds", selector, "route"), "{{route}}"),),
            "s",
        ),
    ]


def worker_panels(job: str) -> list[Panel]:
    selector = f'job="{job}"'
    return [
        Panel(
            "Records consumed and failed by topic",
            (
                (_rate("kafka_messages_consumed_total", selector, "topic"), "consumed {{topic}}"),
                (_rate("kafka_handler_failures_total", selector, "topic"), "failed {{topic}}"),
            ),
            "ops",
        ),
        Panel(
            "Consumer lag by topic",
            ((f"sum by (topic) (kafka_consumer_lag_records{{{selector}}})", "{{topic}}"),),
        ),
        Panel(
            "Outbox: unpublished and dead-lettered",
            (
                (f"max(huleedu_outbox_unpublished_events{{{selector}}})", "unpublished"),
                (f"max(huleedu_outbox_dead_lettered_events{{{selector}}})", "dead-lettered"),
            ),
        ),
    ]


def database_panels(jobs: str) -> list[Panel]:
    selector = f'job=~"{jobs}"'
    return [
        Panel(
            "Connection pool",
            (
                (
                    f"sum by (job) (huleedu_db_pool_checked_out_connections{{{selector}}})",
                    "{{job}} checked out",
                ),
                (f"sum by (job) (huleedu_db_pool_size_connections{{{selector}}})", "{{job}} size"),
            ),
        ),
        Panel(
            "Statement latency p95 by operation",
            (
                (
                    _p95("huleedu_db_statement_duration_seconds", selector, "operation"),
                    "{{operation}}",
                ),
            ),
            "s",
        ),
        Panel(
            "Pool checkout wait p95 and statement errors",
            (
                (
                    _p95("huleedu_db_pool_checkout_wait_seconds", selector, "job"),
                    "{{job}} wait p95",
                ),
                (
                    _rate("huleedu_db_statement_errors_total", selector, "operation"),
                    "errors {{operation}}",
                ),
            ),
        ),
        Panel(
            "Process memory and CPU",
            (
                (
                    f"sum by (job) (process_resident_memory_bytes{{{selector}}})",
                    "{{job}} RSS bytes",
                ),
                (
                    f"sum by (job) (rate(process_cpu_seconds_total{{{selector}}}{RATE}))",
                    "{{job}} CPU s/s",
                ),
            ),
        ),
    ]


def business_panels(spec: ServiceSpec, jobs: str) -> list[Panel]:
    s = f'job=~"{jobs}"'
    by_service: dict[str, list[Panel]] = {
        "entitlements_service": [
            Panel(
                "Charges by result and payer",
                (
                    (
                        _rate("entitlements_charges_total", s, "result, payer"),
                        "{{result}} {{payer}}",
                    ),
                ),
                "ops",
            ),
            Panel(
                "Credits charged by payer",
                ((_rate("entitlements_credits_charged_total", s, "payer"), "{{payer}}"),),
                "ops",
            ),
        ],
        "file_service": [
            Panel(
                "Files processed by outcome",
                ((_rate("file_service_files_processed_total", s, "outcome"), "{{outcome}}"),),
                "ops",
            ),
            Panel(
                "Extraction time p95", ((_p95("file_service_extraction_seconds", s), "p95"),), "s"
            ),
        ],
        "class_management_service": [
            Panel(
                "Roster imports and matches by outcome",
                (
                    (
                        _rate("class_management_roster_imports_total", s, "outcome"),
                        "import {{outcome}}",
                    ),
                    (_rate("class_management_matches_total", s, "outcome"), "match {{outcome}}"),
                ),
                "ops",
            ),
            Panel(
                "Match timeouts",
                ((f"sum(rate(class_management_match_timeouts_total{{{s}}}{RATE}))", "timeouts"),),
                "ops",
            ),
        ],
        "cj_assessment_service": [
            Panel(
                "Comparisons by outcome",
                ((_rate("cj_comparisons_total", s, "outcome"), "{{outcome}}"),),
                "ops",
            ),
            Panel(
                "Judge latency p95 and errors",
                (
                    (_p95("cj_judge_duration_seconds", s), "latency p95 (s)"),
                    (_rate("cj_judge_errors_total", s, "reason"), "errors {{reason}}"),
                ),
            ),
            Panel(
                "Assessments by state", ((f"max by (state) (cj_assessments{{{s}}})", "{{state}}"),)
            ),
            Panel(
                "State transitions",
                ((_rate("cj_assessment_transitions_total", s, "state"), "{{state}}"),),
                "ops",
            ),
        ],
    }
    return by_service.get(spec.name, [])


def service_dashboard(spec: ServiceSpec) -> dict[str, Any]:
    api, worker = spec.name, f"{spec.name}_worker"
    both = f"{api}|{worker}"
    rows = [
        (f"API ({api})", api_panels(api)),
        (f"Worker ({worker})", worker_panels(worker)),
        ("Database and process", database_panels(both)),
        ("Business", business_panels(spec, both)),
    ]
    return dashboard(f"huleedu-{spec.name.replace('_', '-')}", f"HuleEdu · {spec.title}", rows)


def gateway_dashboard() -> dict[str, Any]:
    """The API gateway: every teacher request, by route template, and its own process."""
    job = "api_gateway_service"
    rows = [(f"API ({job})", api_panels(job))]
    return dashboard("huleedu-api-gateway-service", "HuleEdu · API gateway", rows)


def outbox_dashboard() -> dict[str, Any]:
    everyone = 'job=~".+"'
    panels = [
        Panel(
            "Oldest unpublished event age",
            (
                (
                    f"max by (job) (huleedu_outbox_oldest_unpublished_age_seconds{{{everyone}}})",
                    "{{job}}",
                ),
            ),
            "s",
        ),
        Panel(
            "Unpublished events",
            ((f"max by (job) (huleedu_outbox_unpublished_events{{{everyone}}})", "{{job}}"),),
        ),
        Panel(
            "Dead-lettered events waiting",
            ((f"max by (job) (huleedu_outbox_dead_lettered_events{{{everyone}}})", "{{job}}"),),
        ),
        Panel(
            "Published by event type",
            ((_rate("huleedu_outbox_published_total", everyone, "event_type"), "{{event_type}}"),),
            "ops",
        ),
        Panel(
            "Failed attempts and dead-lettered",
            (
                (_rate("huleedu_outbox_failed_attempts_total", everyone, "job"), "failed {{job}}"),
                (
                    _rate("huleedu_outbox_dead_lettered_total", everyone, "job"),
                    "dead-lettered {{job}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Insert to acknowledgement p95",
            ((_p95("huleedu_outbox_publish_latency_seconds", everyone, "job"), "{{job}}"),),
            "s",
        ),
    ]
    return dashboard("huleedu-outbox", "HuleEdu · Outbox relays", [("Outbox", panels)])


def kafka_dashboard() -> dict[str, Any]:
    everyone = 'job=~".+"'
    panels = [
        Panel(
            "Consumer lag by job and topic",
            (
                (
                    f"sum by (job, topic) (kafka_consumer_lag_records{{{everyone}}})",
                    "{{job}} {{topic}}",
                ),
            ),
        ),
        Panel(
            "Records consumed",
            (
                (
                    _rate("kafka_messages_consumed_total", everyone, "job, topic"),
                    "{{job}} {{topic}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Handler failures",
            ((_rate("kafka_handler_failures_total", everyone, "job, topic"), "{{job}} {{topic}}"),),
            "ops",
        ),
        Panel(
            "Records sent to a DLQ",
            (
                (
                    _rate("kafka_messages_dead_lettered_total", everyone, "job, topic"),
                    "{{job}} {{topic}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Idempotency outcomes",
            (
                (
                    _rate("huleedu_idempotency_outcomes_total", everyone, "job, outcome"),
                    "{{job}} {{outcome}}",
                ),
            ),
            "ops",
        ),
    ]
    return dashboard(
        "huleedu-kafka-consumers", "HuleEdu · Kafka consumers", [("Consumers", panels)]
    )


def dashboard(uid: str, title: str, rows: list[tuple[str, list[Panel]]]) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    for row_title, row_panels in rows:
        if not row_panels:
            continue
        panels.append(
            {
                "id": len(panels) + 1,
                "type": "row",
                "title": row_title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        y += 1
        for index, panel in enumerate(row_panels):
            x = (index % 2) * _WIDTH
            panels.append(_timeseries(len(panels) + 1, panel, x, y))
            if index % 2 == 1 or index == len(row_panels) - 1:
                y += _HEIGHT
    return {
        "uid": uid,
        "title": title,
        "tags": ["huleedu"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "editable": False,
        "panels": panels,
    }


def _timeseries(panel_id: int, panel: Panel, x: int, y: int) -> dict[str, Any]:
    targets = [
        {"refId": chr(ord("A") + n), "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend}
        for n, (expr, legend) in enumerate(panel.queries)
    ]
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": panel.title,
        "datasource": PROMETHEUS,
        "gridPos": {"h": _HEIGHT, "w": _WIDTH, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": targets,
    }


def dashboards() -> dict[str, dict[str, Any]]:
    """File name -> dashboard."""
    built = {f"{spec.name}.json": service_dashboard(spec) for spec in SERVICES}
    built["api_gateway_service.json"] = gateway_dashboard()
    built["outbox.json"] = outbox_dashboard()
    built["kafka_consumers.json"] = kafka_dashboard()
    return built


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a committed file differs")
    args = parser.parse_args(argv)
    wanted = {name: render(board) for name, board in dashboards().items()}
    present = {path.name for path in DASHBOARD_DIR.glob("*.json")}
    if args.check:
        stale = sorted(name for name, text in wanted.items() if _read(DASHBOARD_DIR / name) != text)
        extra = sorted(present - set(wanted))
        for name in stale + extra:
            print(f"{DASHBOARD_DIR / name} is stale: run `python -m scripts.grafana_dashboards`")
        return 1 if stale or extra else 0
    DASHBOARD_DIR.mkdir(parents=True, exist_ok=True)
    for name in present - set(wanted):
        (DASHBOARD_DIR / name).unlink()
    for name, text in wanted.items():
        (DASHBOARD_DIR / name).write_text(text, encoding="utf-8")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


if __name__ == "__main__":
    sys.exit(main())
