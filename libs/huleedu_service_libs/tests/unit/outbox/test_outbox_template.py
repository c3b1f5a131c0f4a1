"""The outbox revision written into a new service's Alembic chain."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from huleedu_service_libs.outbox.template import write_outbox_revision

CREATED = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)


def _assignments(source: str) -> dict[str, object]:
    tree = ast.parse(source)
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }


def test_the_revision_is_named_by_the_standard_and_chained_after_the_head(tmp_path: Path) -> None:
    path = write_outbox_revision(tmp_path, "20260101_0000", CREATED)
    assert path.name == "20260304_0506_add_event_outbox_table.py"
    values = _assignments(path.read_text())
    assert (values["revision"], values["down_revision"]) == ("20260304_0506", "20260101_0000")
    assert "create_event_outbox_table()" in path.read_text()
    assert "drop_event_outbox_table()" in path.read_text()


def test_the_first_revision_of_a_chain_has_no_parent(tmp_path: Path) -> None:
    path = write_outbox_revision(tmp_path, None, CREATED)
    assert _assignments(path.read_text())["down_revision"] is None


def test_an_existing_revision_is_never_overwritten(tmp_path: Path) -> None:
    write_outbox_revision(tmp_path, None, CREATED)
    with pytest.raises(FileExistsError):
        write_outbox_revision(tmp_path, None, CREATED)
