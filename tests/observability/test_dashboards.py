"""The Grafana dashboards: current with their generator, valid, one per service plus the outbox
and the consumers, reading provisioned datasources, scraped jobs and exposed metrics only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts import grafana_dashboards
from tests.observability.observability_files import (
    DASHBOARD_DIR,
    ServiceProcess,
    provisioned_datasources,
    scrape_jobs,
)
from tests.observability.platform_metrics import exposed_names
from tests.observability.promql import metric_names

pytestmark = pytest.mark.contract
_JOB_MATCHER = re.compile(r'job(?P<op>=~?)"(?P<value>[^"]*)"')


def boards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in DASHBOARD_DIR.glob("*.json")}


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def expressions(board: dict[str, Any]) -> Iterator[str]:
    for panel in panels(board):
        for target in panel.get("targets", []):
            yield target["expr"]


def datasource_refs(board: dict[str, Any]) -> Iterator[dict[str, str]]:
    for panel in panels(board):
        for holder in (panel, *panel.get("targets", [])):
            if "datasource" in holder:
                yield holder["datasource"]


def test_the_committed_dashboards_are_what_the_generator_writes() -> None:
    assert grafana_dashboards.main(["--check"]) == 0, "run `pdm run dashboards`"


def test_the_check_notices_a_hand_edited_dashboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, board in grafana_dashboards.dashboards().items():
        (tmp_path / name).write_text(grafana_dashboards.render(board))
    (tmp_path / "outbox.json").write_text("{}\n")
    monkeypatch.setattr(grafana_dashboards, "DASHBOARD_DIR", tmp_path)

    assert grafana_dashboards.main(["--check"]) == 1


def test_uids_and_titles_are_unique_and_grafana_sized() -> None:
    uids = [board["uid"] for board in boards().values()]
    titles = [board["title"] for board in boards().values()]

    assert len(uids) == len(set(uids))
    assert len(titles) == len(set(titles))
    assert all(re.fullmatch(r"[a-z0-9-]{1,40}", uid) for uid in uids)


def test_every_panel_reads_a_provisioned_datasource() -> None:
    sources = provisioned_datasources()
    for name, board in boards().items():
        for ref in datasource_refs(board):
            assert ref["uid"] in sources, f"{name}: {ref}"
            assert ref["type"] == sources[ref["uid"]]["type"], f"{name}: {ref}"


def test_every_metric_a_panel_reads_is_exposed_by_the_platform() -> None:
    exposed = exposed_names()
    unknown = {
        name: set().union(*(metric_names(expr) - exposed for expr in expressions(board)))
        for name, board in boards().items()
    }

    assert {name: metrics for name, metrics in unknown.items() if metrics} == {}


def test_every_job_a_panel_names_is_scraped() -> None:
    jobs = set(scrape_jobs())
    for name, board in boards().items():
        for expr in expressions(board):
            for match in _JOB_MATCHER.finditer(expr):
                named = match["value"].split("|") if match["op"] == "=~" else [match["value"]]
                assert set(named) - {".+"} <= jobs, f"{name}: {expr}"


def test_every_api_and_worker_has_a_dashboard_and_outbox_and_consumers_have_theirs(
    processes: list[ServiceProcess],
) -> None:
    by_job: dict[str, set[str]] = {}
    for board in boards().values():
        for expr in expressions(board):
            for match in _JOB_MATCHER.finditer(expr):
                for job in match["value"].split("|"):
                    by_job.setdefault(job, set()).add(board["uid"])

    assert {"huleedu-outbox", "huleedu-kafka-consumers"} <= {b["uid"] for b in boards().values()}
    for process in processes:
        assert by_job.get(process.compose_name), f"no dashboard shows {process.compose_name}"
