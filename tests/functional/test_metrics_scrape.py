"""Every process of the private platform scraped as Prometheus would: each API and worker (and
whatever else the stack lists in its file_sd targets, the gateway included) serves /metrics that
follow the naming conventions and carry the families its dashboards and alerts read."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from scripts.platform_services import SERVICES
from tests.functional.platform import Platform
from tests.metrics.conventions import check_scrape, family_names

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.timeout(600),
]
PROCESS = {"process_cpu_seconds_total", "python_gc_collections_total"}
DATABASE = {
    "huleedu_db_pool_checked_out_connections",
    "huleedu_db_pool_size_connections",
    "huleedu_db_pool_checkout_wait_seconds",
    "huleedu_db_statement_duration_seconds",
    "huleedu_db_statement_errors_total",
}
API = PROCESS | DATABASE | {"http_requests_total", "http_request_duration_seconds"}
WORKER = PROCESS | DATABASE | {"huleedu_outbox_unpublished_events"}
ENTITLEMENTS = {"entitlements_charges_total", "entitlements_credits_charged_total"}
# Families each service's processes serve from the start (zero until something is counted).
BUSINESS: dict[str, set[str]] = {
    "entitlements_service": ENTITLEMENTS | {"entitlements_refusals_total"},
    "entitlements_service_worker": ENTITLEMENTS,
    "cj_assessment_service": {"cj_assessment_transitions_total", "cj_comparisons_total"},
    "cj_assessment_service_worker": {
        "cj_comparisons_total",
        "cj_judge_duration_seconds",
        "cj_judge_errors_total",
        "cj_assessment_transitions_total",
    },
    "file_service": {"file_service_files_accepted_total", "file_service_uploads_refused_total"},
    "file_service_worker": {
        "file_service_files_processed_total",
        "file_service_extraction_seconds",
    },
    "class_management_service": {
        "class_management_roster_imports_total",
        "class_management_roster_import_rows_total",
        "class_management_matches_total",
    },
    "class_management_service_worker": {
        "class_management_matches_total",
        "class_management_match_timeouts_total",
    },
}


def _targets(platform: Platform) -> dict[str, str]:
    """job -> host:port, from the targets file the stack writes for Prometheus."""
    groups: list[dict[str, Any]] = json.loads(platform.stack.targets_path.read_text())
    return {group["labels"]["job"]: group["targets"][0] for group in groups}


def _expected_jobs() -> dict[str, set[str]]:
    jobs: dict[str, set[str]] = {}
    for spec in SERVICES:
        parts = spec.missing_parts()
        if "app.py" not in parts:
            jobs[spec.name] = API | BUSINESS.get(spec.name, set())
        if not parts:
            jobs[f"{spec.name}_worker"] = WORKER | BUSINESS.get(f"{spec.name}_worker", set())
    return jobs


async def test_every_process_serves_metrics_that_follow_the_conventions(
    platform: Platform,
) -> None:
    targets = _targets(platform)
    expected = _expected_jobs()
    assert set(expected) <= set(targets)
    scraped: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for job, target in targets.items():
            response = await client.get(f"http://{target}/metrics")
            assert response.status_code == 200, (job, response.text[:300])
            scraped[job] = response.text

    violations = {job: [str(v) for v in check_scrape(text)] for job, text in scraped.items()}
    missing = {
        job: sorted(families - family_names(scraped[job])) for job, families in expected.items()
    }
    assert {job: found for job, found in violations.items() if found} == {}
    assert {job: names for job, names in missing.items() if names} == {}
