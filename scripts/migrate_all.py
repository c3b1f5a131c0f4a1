"""Run every service's Alembic chain (`alembic upgrade head` unless told otherwise).

Each chain runs as a deployment runs it: `python -m alembic` from the service directory, the URL
passed as `-x database_url=...`. The URL comes from --server-url (one database per service on
that server, created with --create-databases), else `<PREFIX>DATABASE_URL`, else the settings.

    python scripts/migrate_all.py                                  # upgrade head, URLs from env
    python scripts/migrate_all.py --server-url postgresql://u:p@localhost:5432 --create-databases
    python scripts/migrate_all.py --service file_service -- downgrade -1
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from scripts.database_urls import database_name, ensure_database, service_database_url
from scripts.platform_services import ServiceSpec, known_names, select

DEFAULT_COMMAND = ("upgrade", "head")


@dataclass(frozen=True)
class MigrationResult:
    service: str
    ok: bool
    output: str


def run_chain(spec: ServiceSpec, database_url: str, command: Sequence[str]) -> MigrationResult:
    argv = [sys.executable, "-m", "alembic", "-x", f"database_url={database_url}", *command]
    done = subprocess.run(argv, cwd=spec.directory, capture_output=True, text=True, check=False)
    return MigrationResult(spec.name, done.returncode == 0, (done.stdout + done.stderr).strip())


def migrate(
    specs: Sequence[ServiceSpec],
    command: Sequence[str] = DEFAULT_COMMAND,
    server_url: str | None = None,
    suffix: str = "",
    create_databases: bool = False,
) -> list[MigrationResult]:
    results: list[MigrationResult] = []
    for spec in specs:
        if not spec.alembic_ini.is_file():
            results.append(MigrationResult(spec.name, False, "no alembic.ini: not built yet"))
            continue
        if create_databases and server_url:
            asyncio.run(ensure_database(server_url, database_name(spec, suffix)))
        url = service_database_url(spec, server_url, suffix)
        results.append(run_chain(spec, url, command))
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"services: {known_names()}",
    )
    parser.add_argument("--service", action="append", help="only this service (repeatable)")
    parser.add_argument("--server-url", help="PostgreSQL server holding one database per service")
    parser.add_argument("--database-suffix", default="", help="appended to each database name")
    parser.add_argument(
        "--create-databases", action="store_true", help="create missing databases (--server-url)"
    )
    parser.add_argument("--verbose", action="store_true", help="print Alembic's output")
    parser.add_argument("command", nargs="*", help="Alembic command (default: upgrade head)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        specs = select(arguments.service)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    command = arguments.command or list(DEFAULT_COMMAND)
    results = migrate(
        specs, command, arguments.server_url, arguments.database_suffix, arguments.create_databases
    )
    for result in results:
        print(
            f"{'ok    ' if result.ok else 'FAILED'} {result.service}: alembic {' '.join(command)}"
        )
        if arguments.verbose or not result.ok:
            print("    " + result.output.replace("\n", "\n    "))
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
