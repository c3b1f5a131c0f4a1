"""Check every service's live event_outbox table against the shared model.

Runs the outbox library's verifier (`python -m huleedu_service_libs.outbox.verify`) against each
service's database: table, columns, and the named indexes (`ix_event_outbox_unpublished` with its
`published_at IS NULL` predicate, `ix_event_outbox_aggregate`). Exit 0 when all match, 1 when any
differs, 2 when a database cannot be reached. URLs are found as in migrate_all.py.

    python scripts/verify_outbox_indexes.py --server-url postgresql://u:p@localhost:5432
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from scripts.database_urls import service_database_url
from scripts.platform_services import ServiceSpec, known_names, select

VERIFIER = "huleedu_service_libs.outbox.verify"


@dataclass(frozen=True)
class VerifyResult:
    service: str
    exit_code: int
    output: str


def verify(spec: ServiceSpec, database_url: str) -> VerifyResult:
    argv = [sys.executable, "-m", VERIFIER, "--database-url", database_url]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return VerifyResult(spec.name, done.returncode, (done.stdout + done.stderr).strip())


def verify_all(
    specs: Sequence[ServiceSpec], server_url: str | None = None, suffix: str = ""
) -> list[VerifyResult]:
    return [
        verify(spec, service_database_url(spec, server_url, suffix))
        if spec.alembic_ini.is_file()
        else VerifyResult(spec.name, 1, "no alembic.ini: not built yet")
        for spec in specs
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=f"services: {known_names()}"
    )
    parser.add_argument("--service", action="append", help="only this service (repeatable)")
    parser.add_argument("--server-url", help="PostgreSQL server holding one database per service")
    parser.add_argument("--database-suffix", default="", help="appended to each database name")
    arguments = parser.parse_args(argv)
    try:
        specs = select(arguments.service)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    results = verify_all(specs, arguments.server_url, arguments.database_suffix)
    for result in results:
        print(f"--- {result.service} (exit {result.exit_code})")
        print(result.output)
    return max(result.exit_code for result in results)


if __name__ == "__main__":
    sys.exit(main())
