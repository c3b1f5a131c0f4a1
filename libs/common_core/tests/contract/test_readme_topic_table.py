from pathlib import Path

import pytest

from common_core.contract_checks.topic_table import (
    TABLE_END,
    TABLE_START,
    render_topic_table,
    with_topic_table,
)
from common_core.events import all_event_specs

pytestmark = pytest.mark.contract

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_topic_table_is_generated_from_the_current_registry() -> None:
    text = README.read_text()

    assert with_topic_table(text, render_topic_table()) == text, (
        "README topic table is stale: "
        "./dev pdm run python libs/common_core/scripts/regenerate_contracts.py"
    )


def test_table_has_one_row_per_topic_with_producer_consumers_and_model() -> None:
    rows = render_topic_table().splitlines()[2:]

    assert len(rows) == len(all_event_specs())
    for row, spec in zip(rows, all_event_specs(), strict=True):
        assert spec.topic in row
        assert spec.producer.value in row
        assert all(consumer.value in row for consumer in spec.consumers)
        assert spec.payload_model.__name__ in row


def test_external_services_are_marked_as_such() -> None:
    assert "nlp_service (external)" in render_topic_table()


def test_replacing_the_table_keeps_the_surrounding_text() -> None:
    readme = f"intro\n{TABLE_START}\nold rows\n{TABLE_END}\noutro\n"

    assert with_topic_table(readme, "NEW") == f"intro\n{TABLE_START}\nNEW\n{TABLE_END}\noutro\n"


def test_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        with_topic_table("no table here", "NEW")
