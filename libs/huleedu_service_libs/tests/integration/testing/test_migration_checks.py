"""The migration checks pass a sound chain and report each way a chain can be broken."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from huleedu_service_libs.testing.migrations import (
    autogenerate_differences,
    history_problems,
    revision_file_problems,
    round_trip_problems,
)

pytestmark = pytest.mark.integration

ENV_PY = """
from huleedu_service_libs.migrations import run_alembic_migrations

def no_settings() -> str:
    raise RuntimeError("the checks always pass -x database_url")

run_alembic_migrations(None, default_url=no_settings)
"""
CREATE_THINGS = 'op.create_table("things", sa.Column("id", sa.Integer, primary_key=True))'
CREATE_LABELS = (
    'op.create_table("labels", sa.Column("id", sa.Integer, primary_key=True),'
    ' sa.Column("text", sa.String(10), nullable=False))'
)


def _revision(
    revision: str, down: str | tuple[str, str] | None, upgrade: str, downgrade: str
) -> str:
    return (
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {down!r}\n\n"
        f"def upgrade() -> None:\n    {upgrade}\n\n"
        f"def downgrade() -> None:\n    {downgrade}\n"
    )


SOUND = {
    "20260101_0000_things.py": _revision("a1", None, CREATE_THINGS, 'op.drop_table("things")'),
    "20260102_0000_labels.py": _revision("b2", "a1", CREATE_LABELS, 'op.drop_table("labels")'),
}


def _chain(root: Path, revisions: dict[str, str]) -> Path:
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/alembic\n")
    (root / "alembic" / "env.py").write_text(ENV_PY)
    for name, body in revisions.items():
        (versions / name).write_text(body)
    return root


def _models(text_length: int = 10, *thing_columns: sa.Column[int]) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("things", metadata, sa.Column("id", sa.Integer, primary_key=True), *thing_columns)
    sa.Table(
        "labels",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(text_length), nullable=False),
    )
    return metadata


async def test_a_sound_chain_has_no_problems(tmp_path: Path, fresh_database_url: str) -> None:
    chain = _chain(tmp_path, SOUND)
    assert (
        await round_trip_problems(chain, fresh_database_url, _models(), {"things", "labels"}) == []
    )
    assert revision_file_problems(chain) == []
    assert history_problems(chain) == []


async def test_a_model_column_the_migrations_lack_is_a_difference(
    tmp_path: Path, fresh_database_url: str
) -> None:
    models = _models(10, sa.Column("weight", sa.Integer))
    problems = await round_trip_problems(
        _chain(tmp_path, SOUND), fresh_database_url, models, {"things", "labels"}
    )
    assert len(problems) == 1
    assert "add_column" in problems[0]
    assert "weight" in problems[0]


async def test_a_migrated_database_missing_a_model_column_is_a_difference(
    tmp_path: Path, migrated_database: Callable[[Path], Awaitable[str]]
) -> None:
    url = await migrated_database(_chain(tmp_path, SOUND))
    assert await autogenerate_differences(url, _models()) == []
    differences = await autogenerate_differences(url, _models(10, sa.Column("weight", sa.Integer)))
    assert len(differences) == 1
    assert "add_column" in differences[0]


async def test_a_column_type_the_migrations_differ_on_is_a_difference(
    tmp_path: Path, fresh_database_url: str
) -> None:
    problems = await round_trip_problems(
        _chain(tmp_path, SOUND), fresh_database_url, _models(20), {"things", "labels"}
    )
    assert len(problems) == 1
    assert "modify_type" in problems[0]


async def test_a_table_the_models_lack_is_a_difference(
    tmp_path: Path, fresh_database_url: str
) -> None:
    models = _models()
    models.remove(models.tables["labels"])
    problems = await round_trip_problems(
        _chain(tmp_path, SOUND), fresh_database_url, models, {"things", "labels"}
    )
    assert len(problems) == 1
    assert "remove_table" in problems[0]


async def test_a_downgrade_that_leaves_a_table_behind_is_reported(
    tmp_path: Path, fresh_database_url: str
) -> None:
    leaky = {**SOUND, "20260102_0000_labels.py": _revision("b2", "a1", CREATE_LABELS, "pass")}
    problems = await round_trip_problems(
        _chain(tmp_path, leaky), fresh_database_url, _models(), {"things", "labels"}
    )
    assert problems[0] == "after downgrade base: table labels unexpected"
    assert "alembic upgrade head failed" in problems[1]
    assert len(problems) == 2


async def test_a_table_the_chain_should_not_create_is_reported(
    tmp_path: Path, fresh_database_url: str
) -> None:
    problems = await round_trip_problems(
        _chain(tmp_path, SOUND), fresh_database_url, _models(), {"things", "tags"}
    )
    assert problems == [
        "after upgrade head: table tags missing",
        "after upgrade head: table labels unexpected",
        "after upgrade head: table tags missing",
        "after upgrade head: table labels unexpected",
    ]


def test_a_revision_file_off_the_naming_convention_is_reported(tmp_path: Path) -> None:
    chain = _chain(tmp_path, {**SOUND, "add_tags.py": _revision("c3", "b2", "pass", "pass")})
    assert revision_file_problems(chain) == ["add_tags.py: not named YYYYMMDD_HHMM_<slug>.py"]


def test_a_chain_without_revisions_is_reported(tmp_path: Path) -> None:
    problems = revision_file_problems(_chain(tmp_path, {}))
    assert problems == [f"no revision files in {tmp_path / 'alembic' / 'versions'}"]


def test_two_heads_are_reported(tmp_path: Path) -> None:
    branch = _revision("c3", "a1", "pass", "pass")
    chain = _chain(tmp_path, {**SOUND, "20260103_0000_branch.py": branch})
    assert history_problems(chain) == ["2 heads ['b2', 'c3'], expected one"]


def test_a_merge_is_reported(tmp_path: Path) -> None:
    branch = _revision("c3", "a1", "pass", "pass")
    merge = _revision("d4", ("b2", "c3"), "pass", "pass")
    revisions = {**SOUND, "20260103_0000_branch.py": branch, "20260104_0000_merge.py": merge}
    assert history_problems(_chain(tmp_path, revisions)) == ["d4 merges ('b2', 'c3')"]


def test_a_chain_out_of_the_files_name_order_is_reported(tmp_path: Path) -> None:
    early = _revision("c3", "b2", "pass", "pass")
    chain = _chain(tmp_path, {**SOUND, "20250101_0000_early.py": early})
    problems = history_problems(chain)
    assert len(problems) == 1
    assert problems[0].startswith("the chain runs")
