"""Compares the event schemas of the registry with the committed snapshots (one file per topic)."""

import json
from dataclasses import dataclass, field
from typing import Any

from common_core.contract_checks.compatibility import Schema, incompatibilities
from common_core.events.codec import envelope_type_for
from common_core.events.registry import all_event_specs

REGENERATE_COMMAND = "./dev pdm run python libs/common_core/scripts/regenerate_contracts.py"


def current_schemas() -> dict[str, Schema]:
    """The JSON Schema of each topic's full envelope, keyed by topic."""
    return {
        spec.topic: envelope_type_for(spec.topic).model_json_schema() for spec in all_event_specs()
    }


@dataclass(frozen=True)
class SnapshotReport:
    missing: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    outdated: list[str] = field(default_factory=list)
    incompatible: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_current(self) -> bool:
        return not (self.missing or self.orphaned or self.outdated or self.incompatible)


def compare_with_snapshots(
    current: dict[str, Schema], committed: dict[str, Schema]
) -> SnapshotReport:
    shared = sorted(current.keys() & committed.keys())
    incompatible = {
        topic: problems
        for topic in shared
        if (problems := incompatibilities(committed[topic], current[topic]))
    }
    return SnapshotReport(
        missing=sorted(current.keys() - committed.keys()),
        orphaned=sorted(committed.keys() - current.keys()),
        outdated=[t for t in shared if current[t] != committed[t] and t not in incompatible],
        incompatible=incompatible,
    )


def describe(report: SnapshotReport) -> str:
    lines = [
        f"{topic}: incompatible with its snapshot; bump the topic version instead: {problem}"
        for topic, problems in report.incompatible.items()
        for problem in problems
    ]
    lines += [f"{topic}: no snapshot yet" for topic in report.missing]
    lines += [f"{topic}: snapshot of a topic no longer registered" for topic in report.orphaned]
    lines += [f"{topic}: compatible change, snapshot not regenerated" for topic in report.outdated]
    if report.missing or report.orphaned or report.outdated:
        lines.append(f"regenerate with: {REGENERATE_COMMAND}")
    return "\n".join(lines)


def snapshot_file_name(topic: str) -> str:
    return f"{topic}.json"


def as_snapshot_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
