"""What a rules file must look like, checked without Prometheus: its structure, and that every
metric an expression reads is one the platform exposes."""

from __future__ import annotations

import re
from typing import Any

from tests.observability.promql import metric_names

SEVERITIES = frozenset({"warning", "critical"})
_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
_ALERT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]+$")
_RULE_KEYS = frozenset({"alert", "expr", "for", "labels", "annotations", "keep_firing_for"})


def structure_problems(document: Any) -> list[str]:
    if not isinstance(document, dict) or not isinstance(document.get("groups"), list):
        return ["the file is not a mapping with a list of groups"]
    problems: list[str] = []
    groups = document["groups"]
    names = [group.get("name") for group in groups if isinstance(group, dict)]
    if len(names) != len(set(names)) or len(names) != len(groups):
        problems.append("every group needs a name of its own")
    alerts: list[str] = []
    for group in (g for g in groups if isinstance(g, dict)):
        rules = group.get("rules")
        if not isinstance(rules, list) or not rules:
            problems.append(f"group {group.get('name')}: no rules")
            continue
        for rule in rules:
            problems += _rule_problems(group.get("name"), rule)
            if isinstance(rule, dict) and "alert" in rule:
                alerts.append(str(rule["alert"]))
    if len(alerts) != len(set(alerts)):
        problems.append("an alert name is used twice")
    return problems


def unknown_metrics(expression: str, exposed: frozenset[str]) -> set[str]:
    return metric_names(expression) - exposed


def _rule_problems(group: Any, rule: Any) -> list[str]:
    where = f"group {group}, rule {rule.get('alert') if isinstance(rule, dict) else rule!r}"
    if not isinstance(rule, dict):
        return [f"{where}: not a mapping"]
    problems = [f"{where}: unknown key {key}" for key in sorted(set(rule) - _RULE_KEYS)]
    if not _ALERT_NAME.match(str(rule.get("alert", ""))):
        problems.append(f"{where}: the alert name is not CamelCase")
    if not isinstance(rule.get("expr"), str) or not rule["expr"].strip():
        problems.append(f"{where}: no expression")
    if "for" in rule and not _DURATION.match(str(rule["for"])):
        problems.append(f"{where}: `for` is not a duration")
    if (rule.get("labels") or {}).get("severity") not in SEVERITIES:
        problems.append(f"{where}: severity must be one of {sorted(SEVERITIES)}")
    if not (rule.get("annotations") or {}).get("summary"):
        problems.append(f"{where}: no summary annotation")
    return problems
