"""Writes the outbox revision into a new service's Alembic chain (seed 003, step 1).

    python -m huleedu_service_libs.outbox.template services/<name>/alembic/versions \
        --down-revision <current head, or omit for the first revision>

The file is named `YYYYMMDD_HHMM_add_event_outbox_table.py`, as the migration standard asks.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from string import Template

TEMPLATE_NAME = "add_event_outbox_table.py.template"
DESCRIPTION = "add_event_outbox_table"


def render_outbox_revision(revision: str, down_revision: str | None, created: datetime) -> str:
    template = Template(
        (files("huleedu_service_libs.outbox") / "templates" / TEMPLATE_NAME).read_text()
    )
    return template.substitute(
        revision=revision,
        down_revision=down_revision or "",
        down_revision_literal=repr(down_revision),
        create_date=created.isoformat(timespec="seconds"),
    )


def write_outbox_revision(
    versions_dir: Path, down_revision: str | None, created: datetime | None = None
) -> Path:
    created = created or datetime.now(UTC)
    revision = created.strftime("%Y%m%d_%H%M")
    path = versions_dir / f"{revision}_{DESCRIPTION}.py"
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    path.write_text(render_outbox_revision(revision, down_revision, created))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Add the event_outbox revision to a chain.")
    parser.add_argument("versions_dir", type=Path)
    parser.add_argument("--down-revision", default=None)
    arguments = parser.parse_args(argv)
    print(write_outbox_revision(arguments.versions_dir, arguments.down_revision))


if __name__ == "__main__":
    main()
