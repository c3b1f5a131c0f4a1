"""The migration test every service runs on its Alembic chain, against real PostgreSQL.

    class TestMigrations(MigrationChainTests):
        service_dir = SERVICE_DIR  # the folder holding alembic.ini
        metadata = migration_metadata()  # every table the chain owns, event_outbox included
        tables = frozenset({"things", "processed_events", "event_outbox"})

Each check is also a function that returns the problems it found (empty for a sound chain), so
the library's own tests can show that each one fails on a broken chain.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Collection
from pathlib import Path
from typing import ClassVar, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.outbox.verify import verify_outbox_schema
from huleedu_service_libs.testing.databases import AlembicError, run_alembic

VERSION_TABLE = "alembic_version"
REVISION_FILE = re.compile(r"\d{8}_\d{4}_\w+\.py")  # the file_template each alembic.ini sets
MigratedDatabase = Callable[[Path], Awaitable[str]]
T = TypeVar("T")


async def _on_connection(database_url: str, function: Callable[[Connection], T]) -> T:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(function)
    finally:
        await engine.dispose()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(metadata: MetaData) -> Callable[[Connection], list[str]]:
    def compare(connection: Connection) -> list[str]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            f"autogenerate: {difference!r}" for difference in compare_metadata(context, metadata)
        ]

    return compare


async def autogenerate_differences(database_url: str, metadata: MetaData) -> list[str]:
    return await _on_connection(database_url, _differences(metadata))


def _table_problems(when: str, expected: set[str], actual: set[str]) -> list[str]:
    missing = [f"{when}: table {name} missing" for name in sorted(expected - actual)]
    return missing + [f"{when}: table {name} unexpected" for name in sorted(actual - expected)]


async def round_trip_problems(
    service_dir: Path, database_url: str, metadata: MetaData, tables: Collection[str]
) -> list[str]:
    """Upgrade an empty database to head, downgrade to base, upgrade again, then autogenerate."""
    at_head, at_base = {*tables, VERSION_TABLE}, {VERSION_TABLE}
    steps = (
        ("upgrade", "head", at_head),
        ("downgrade", "base", at_base),
        ("upgrade", "head", at_head),
    )
    problems: list[str] = []
    for command, target, expected in steps:
        try:
            await asyncio.to_thread(run_alembic, service_dir, database_url, command, target)
        except AlembicError as error:
            return [*problems, str(error)]
        actual = await _on_connection(database_url, _table_names)
        problems += _table_problems(f"after {command} {target}", expected, actual)
    return problems + await autogenerate_differences(database_url, metadata)


def _script_directory(service_dir: Path) -> ScriptDirectory:
    config = Config(str(service_dir / "alembic.ini"))
    location = service_dir / str(config.get_main_option("script_location"))
    config.set_main_option("script_location", str(location))  # as if run from service_dir
    return ScriptDirectory.from_config(config)


def revision_file_problems(service_dir: Path) -> list[str]:
    versions = Path(_script_directory(service_dir).versions)
    names = sorted(path.name for path in versions.glob("*.py"))
    if not names:
        return [f"no revision files in {versions}"]
    wrong = [name for name in names if not REVISION_FILE.fullmatch(name)]
    return [f"{name}: not named YYYYMMDD_HHMM_<slug>.py" for name in wrong]


def history_problems(service_dir: Path) -> list[str]:
    """One base, one head, no merges, and the files in name order are the chain in order."""
    script = _script_directory(service_dir)
    heads, bases = script.get_heads(), script.get_bases()
    problems = [f"{len(heads)} heads {sorted(heads)}, expected one"] if len(heads) != 1 else []
    problems += [f"{len(bases)} bases {sorted(bases)}, expected one"] if len(bases) != 1 else []
    revisions = list(script.walk_revisions())
    problems += [
        f"{rev.revision} merges {rev.down_revision}" for rev in revisions if rev.is_merge_point
    ]
    chain = [Path(str(revision.path)).name for revision in reversed(revisions)]
    if not problems and chain != sorted(chain):
        problems.append(f"the chain runs {chain}, out of the files' name order")
    return problems


def _fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


class MigrationChainTests:
    """Subclass it as `Test...` in a service's tests and set the three attributes."""

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.integration]
    service_dir: ClassVar[Path]
    metadata: ClassVar[MetaData]
    tables: ClassVar[frozenset[str]]  # every table the chain creates, besides alembic_version

    async def test_upgrade_downgrade_upgrade_on_an_empty_database(
        self, fresh_database_url: str
    ) -> None:
        _fail_on(
            await round_trip_problems(
                self.service_dir, fresh_database_url, self.metadata, self.tables
            )
        )

    async def test_models_match_the_migrations(self, migrated_database: MigratedDatabase) -> None:
        url = await migrated_database(self.service_dir)
        _fail_on(await autogenerate_differences(url, self.metadata))

    async def test_the_outbox_passes_the_shared_verifier(
        self, migrated_database: MigratedDatabase
    ) -> None:
        _fail_on(await verify_outbox_schema(await migrated_database(self.service_dir)))

    def test_the_models_own_exactly_the_expected_tables(self) -> None:
        _fail_on(_table_problems("the models", set(self.tables), set(self.metadata.tables)))

    def test_revision_files_follow_the_naming_convention(self) -> None:
        _fail_on(revision_file_problems(self.service_dir))

    def test_one_head_and_a_linear_history(self) -> None:
        _fail_on(history_problems(self.service_dir))
