"""The alert rules: well formed, reading only metrics the platform exposes, covering the outbox,
the consumers and the APIs, and (where promtool is installed) accepted and unit-tested by it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from scripts.platform_services import REPO_ROOT
from tests.compose.compose_files import load_yaml
from tests.observability.observability_files import RULE_TESTS_DIR, alert_rules, rule_files
from tests.observability.platform_metrics import exposed_names
from tests.observability.promql import metric_names
from tests.observability.rule_checks import structure_problems, unknown_metrics

pytestmark = pytest.mark.contract
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")
REQUIRED_METRICS = {
    "huleedu_outbox_oldest_unpublished_age_seconds",
    "huleedu_outbox_dead_lettered_events",
    "kafka_consumer_lag_records",
    "http_requests_total",
}


@pytest.mark.parametrize("path", rule_files(), ids=lambda path: path.name)
def test_rules_file_is_well_formed(path: Path) -> None:
    assert structure_problems(load_yaml(path)) == []


def test_the_structure_check_finds_a_broken_rule() -> None:
    broken = {"groups": [{"name": "g", "rules": [{"alert": "lower case", "for": "soon"}]}]}

    problems = structure_problems(broken)

    assert any("CamelCase" in p for p in problems)
    assert any("no expression" in p for p in problems)
    assert any("`for`" in p for p in problems)
    assert any("severity" in p for p in problems)


def test_every_metric_the_rules_read_is_exposed_by_the_platform() -> None:
    exposed = exposed_names()
    unknown = {rule["alert"]: unknown_metrics(rule["expr"], exposed) for rule in alert_rules()}

    assert {alert: names for alert, names in unknown.items() if names} == {}


def test_the_metric_check_notices_a_misspelt_metric() -> None:
    expression = "max by (job) (huleedu_outbox_oldest_unpublished_age) > 60"

    assert unknown_metrics(expression, exposed_names()) == {"huleedu_outbox_oldest_unpublished_age"}


def test_outbox_lag_dead_letters_consumer_lag_and_5xx_each_have_an_alert() -> None:
    read = set().union(*(metric_names(rule["expr"]) for rule in alert_rules()))
    five_xx = [rule for rule in alert_rules() if 'status=~"5.."' in rule["expr"]]

    assert read >= REQUIRED_METRICS
    assert five_xx, "no alert selects the 5xx answers"


def test_every_runbook_an_alert_links_exists() -> None:
    runbooks = [r["annotations"]["runbook"] for r in alert_rules() if "runbook" in r["annotations"]]

    assert runbooks
    for runbook in runbooks:
        path, _, anchor = runbook.partition("#")
        assert (REPO_ROOT / path).is_file(), runbook
        assert f"## {anchor}".lower() in (REPO_ROOT / path).read_text().lower()


@needs_promtool
@pytest.mark.parametrize("path", rule_files(), ids=lambda path: path.name)
def test_promtool_accepts_the_rules(path: Path) -> None:
    result = _promtool("check", "rules", str(path))

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_promtool_unit_test_where_it_fires() -> None:
    tested = {
        case["alertname"]
        for path in RULE_TESTS_DIR.glob("*.yml")
        for suite in load_yaml(path)["tests"]
        for case in suite.get("alert_rule_test", [])
        if case["exp_alerts"]
    }

    assert {rule["alert"] for rule in alert_rules()} - tested == set()


@needs_promtool
def test_promtools_unit_tests_of_the_alerts_pass() -> None:
    result = _promtool("test", "rules", *map(str, sorted(RULE_TESTS_DIR.glob("*.yml"))))

    assert result.returncode == 0, result.stdout + result.stderr


def _promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *arguments], capture_output=True, text=True, check=False, timeout=60
    )
