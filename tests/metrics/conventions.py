"""Prometheus naming conventions, checked on a scrape (the text a process serves on /metrics).

- names are snake_case; a counter's samples end in `_total` (and `_created`);
- a histogram, summary or gauge whose name says what it measures carries the unit at the end
  (`_seconds`, `_bytes`, `_records`, `_connections`, ...): a name ending in a word that is a
  unit spelled otherwise (`_ms`, `_millis`, `_latency`, `_duration`, `_size`, `_lag`) is refused;
- label names are snake_case; no label value is a raw path, a UUID, a long number or an email;
  a `route` label is a template (`/v1/classes/<uuid:class_id>`) or `<unmatched>`;
- no family has more than `max_series` label sets (bounded cardinality).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
LONG_NUMBER = re.compile(r"\d{6,}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
ROUTE_TEMPLATE = re.compile(r"^(/([A-Za-z0-9_.\-]+|<([a-z]+:)?[a-z_]+>))*/?$")
UNMATCHED_ROUTE = "<unmatched>"
# Words that say "a unit goes here" but are not the base unit Prometheus asks for.
NOT_BASE_UNITS = ("_ms", "_millis", "_milliseconds", "_latency", "_duration", "_size", "_lag")
# Label values where a version-like or numeric value is expected (not an id).
NUMERIC_LABELS = frozenset({"le", "quantile", "status", "partition", "generation"})
MAX_SERIES = 200


@dataclass(frozen=True)
class Violation:
    family: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.family}: {self.rule} ({self.detail})"


def families_of(scrape: str) -> list[Metric]:
    return list(text_string_to_metric_families(scrape))


def check_scrape(scrape: str, max_series: int = MAX_SERIES) -> list[Violation]:
    """Every convention above, on every family of one scrape; [] when it follows them all."""
    found: list[Violation] = []
    for family in families_of(scrape):
        if not _created_companion(family):
            found += check_family(family, max_series)
    return found


def _created_companion(family: Metric) -> bool:
    # The text format carries a counter's or histogram's `_created` samples as a gauge family
    # of their own: it mirrors its parent and is checked with it.
    return family.type == "gauge" and family.name.endswith("_created")


def check_family(family: Metric, max_series: int = MAX_SERIES) -> list[Violation]:
    return [
        *_name_rules(family),
        *_label_rules(family),
        *_cardinality(family, max_series),
    ]


def _name_rules(family: Metric) -> Iterable[Violation]:
    name = family.name
    if not SNAKE_CASE.match(name):
        yield Violation(name, "snake_case name", name)
    if family.type == "counter":
        names = {sample.name for sample in family.samples}
        wrong = sorted(n for n in names if not n.endswith(("_total", "_created")))
        if wrong:
            yield Violation(name, "counter samples end in _total", ", ".join(wrong))
    if family.type in ("gauge", "histogram", "summary") and name.endswith(NOT_BASE_UNITS):
        yield Violation(name, "unit in the name, in base units", name)
    if family.type != "counter" and name.endswith("_total"):
        yield Violation(name, "_total only on counters", family.type)


def _label_rules(family: Metric) -> Iterable[Violation]:
    for sample in family.samples:
        for label, value in sample.labels.items():
            if not SNAKE_CASE.match(label):
                yield Violation(family.name, "snake_case label name", label)
            yield from _value_rules(family.name, label, value)


def _value_rules(family: str, label: str, value: str) -> Iterable[Violation]:
    if label == "route":
        if value != UNMATCHED_ROUTE and not ROUTE_TEMPLATE.match(value):
            yield Violation(family, "route label is a template", value)
        if UUID.search(value) or LONG_NUMBER.search(value):
            yield Violation(family, "route label is a template", value)
        return
    if UUID.search(value):
        yield Violation(family, "no id in a label value", f"{label}={value}")
    elif EMAIL.search(value):
        yield Violation(family, "no email in a label value", f"{label}={value}")
    elif label not in NUMERIC_LABELS and LONG_NUMBER.search(value):
        yield Violation(family, "no id in a label value", f"{label}={value}")
    elif "/" in value and label not in ("topic",) and not family.startswith("python_"):
        yield Violation(family, "no raw path in a label value", f"{label}={value}")


def _cardinality(family: Metric, max_series: int) -> Iterable[Violation]:
    series = {
        tuple(sorted((k, v) for k, v in sample.labels.items() if k not in ("le", "quantile")))
        for sample in family.samples
    }
    if len(series) > max_series:
        yield Violation(family.name, "bounded label cardinality", f"{len(series)} label sets")


def family_names(scrape: str) -> set[str]:
    """The exposition names of the families in a scrape (a counter's with `_total`)."""
    names = set()
    for family in families_of(scrape):
        if not _created_companion(family):
            names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names
