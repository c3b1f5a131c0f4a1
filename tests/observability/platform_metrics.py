"""The metric names the platform's processes expose, read from the code that creates them.

Every prometheus_client metric of the service libraries and the services is found by parsing the
source (a metric created lazily, when its first handler runs, is found too), then expanded to the
sample names Prometheus stores (a Counter "x" is scraped as x_total and x_created, a Histogram as
_bucket, _sum, _count and _created). The default collectors are collected from a real registry,
and Prometheus adds `up` and the scrape_* series to every target itself.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from huleedu_service_libs.di import new_registry
from scripts.platform_services import REPO_ROOT

SOURCE_ROOTS = (REPO_ROOT / "libs" / "huleedu_service_libs" / "src", REPO_ROOT / "services")
KINDS = ("Counter", "Gauge", "Histogram", "Summary", "Info", "Enum")
SCRAPE_SERIES = frozenset(
    {
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    }
)


@dataclass(frozen=True)
class MetricDefinition:
    kind: str
    name: str
    where: str

    def sample_names(self) -> set[str]:
        if self.kind == "Counter":
            base = self.name.removesuffix("_total")
            return {f"{base}_total", f"{base}_created"}
        if self.kind == "Histogram":
            return {f"{self.name}{suffix}" for suffix in ("_bucket", "_sum", "_count", "_created")}
        if self.kind == "Summary":
            return {self.name, *(f"{self.name}{s}" for s in ("_sum", "_count", "_created"))}
        if self.kind == "Info":
            return {f"{self.name}_info"}
        return {self.name}


def source_files() -> Iterator[Path]:
    for root in SOURCE_ROOTS:
        for path in sorted(root.rglob("*.py")):
            if "tests" not in path.relative_to(root).parts:
                yield path


def definitions_in(path: Path) -> list[MetricDefinition]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    kinds = _prometheus_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (kind := _kind_of(node.func, kinds)):
            where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
            found.append(MetricDefinition(kind, _metric_name(node, where), where))
    return found


def metric_definitions() -> list[MetricDefinition]:
    return [found for path in source_files() for found in definitions_in(path)]


def default_collector_names() -> set[str]:
    return {sample.name for family in new_registry().collect() for sample in family.samples}


@functools.cache
def exposed_names() -> frozenset[str]:
    names = set(SCRAPE_SERIES) | default_collector_names()
    for definition in metric_definitions():
        names |= definition.sample_names()
    return frozenset(names)


def _prometheus_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> metric kind, for `from prometheus_client import Counter [as C]`."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "prometheus_client":
            for alias in node.names:
                if alias.name in KINDS:
                    names[alias.asname or alias.name] = alias.name
    return names


def _kind_of(func: ast.expr, kinds: dict[str, str]) -> str | None:
    if isinstance(func, ast.Name):
        return kinds.get(func.id)
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "prometheus_client"
        and func.attr in KINDS
    ):
        return func.attr
    return None


def _metric_name(call: ast.Call, where: str) -> str:
    keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
    name_node = call.args[0] if call.args else keywords.get("name")
    parts = [keywords.get("namespace"), keywords.get("subsystem"), name_node]
    texts = [_literal(part, where) for part in parts if part is not None]
    return "_".join(text for text in texts if text)


def _literal(node: ast.expr, where: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise AssertionError(f"{where}: a metric name that is not a string literal cannot be checked")
