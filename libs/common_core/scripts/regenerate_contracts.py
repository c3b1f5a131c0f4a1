"""Regenerate common_core's JSON Schema snapshots and the README topic table from the registry.

    ./dev pdm run python libs/common_core/scripts/regenerate_contracts.py          # write
    ./dev pdm run python libs/common_core/scripts/regenerate_contracts.py --check  # exit 1 if stale

A snapshot that the current model is incompatible with is never overwritten: bump the topic
version (new topic name and a V<N+1> model) instead. --force overrides that refusal for a topic
that has never been released.
"""

import argparse
import json
import sys
from pathlib import Path

from common_core.contract_checks.compatibility import Schema
from common_core.contract_checks.snapshots import (
    SnapshotReport,
    as_snapshot_text,
    compare_with_snapshots,
    current_schemas,
    describe,
    snapshot_file_name,
)
from common_core.contract_checks.topic_table import render_topic_table, with_topic_table

LIB_ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = LIB_ROOT / "schemas"
README = LIB_ROOT / "README.md"


def load_snapshots(schema_dir: Path = SCHEMA_DIR) -> dict[str, Schema]:
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text())
        for path in sorted(schema_dir.glob("huleedu.*.json"))
    }


def readme_is_current(readme: Path = README) -> bool:
    text = readme.read_text()
    return with_topic_table(text, render_topic_table()) == text


def write_snapshots(report: SnapshotReport, current: dict[str, Schema]) -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for topic in [*report.missing, *report.outdated, *report.incompatible]:
        (SCHEMA_DIR / snapshot_file_name(topic)).write_text(as_snapshot_text(current[topic]))
    for topic in report.orphaned:
        (SCHEMA_DIR / snapshot_file_name(topic)).unlink()


def check() -> int:
    report = compare_with_snapshots(current_schemas(), load_snapshots())
    readme_ok = readme_is_current()
    if not report.is_current:
        print(describe(report))
    if not readme_ok:
        print(f"{README.name}: topic table is stale")
    return 0 if report.is_current and readme_ok else 1


def regenerate(force: bool) -> int:
    current = current_schemas()
    report = compare_with_snapshots(current, load_snapshots())
    if report.incompatible and not force:
        print(describe(report))
        print("refusing to overwrite incompatible snapshots (see --help)")
        return 1
    write_snapshots(report, current)
    README.write_text(with_topic_table(README.read_text(), render_topic_table()))
    print(describe(report) or "snapshots and README already current")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when stale")
    parser.add_argument("--force", action="store_true", help="overwrite incompatible snapshots too")
    args = parser.parse_args(argv)
    return check() if args.check else regenerate(args.force)


if __name__ == "__main__":
    sys.exit(main())
