import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pydantic import create_model

from common_core.contract_checks.compatibility import Schema
from common_core.contract_checks.snapshots import (
    compare_with_snapshots,
    current_schemas,
    describe,
)
from common_core.courses import CourseCode
from common_core.events import EventEnvelope, EventPayload, ProcessingEvent, topic_name

pytestmark = pytest.mark.contract

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
CLASS_CREATED = topic_name(ProcessingEvent.CLASS_CREATED)
CLASS_CREATED_V2 = CLASS_CREATED.replace(".v1", ".v2")


def committed_snapshots() -> dict[str, Schema]:
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text())
        for path in SCHEMA_DIR.glob("huleedu.*.json")
    }


def class_created_schema(**fields: Any) -> Schema:
    """The envelope schema of a ClassCreatedV1 variant with exactly `fields`."""
    variant = create_model("ClassCreatedV1", __base__=EventPayload, **fields)
    return EventEnvelope[variant].model_json_schema()


CURRENT_FIELDS: dict[str, Any] = {
    "class_id": (UUID, ...),
    "owner_user_id": (str, ...),
    "name": (str, ...),
    "course_code": (CourseCode, ...),
}


def test_every_event_schema_matches_its_committed_snapshot() -> None:
    report = compare_with_snapshots(current_schemas(), committed_snapshots())

    assert report.is_current, describe(report)


def test_removing_a_field_under_the_same_topic_is_incompatible() -> None:
    without_name = {k: v for k, v in CURRENT_FIELDS.items() if k != "name"}
    current = {CLASS_CREATED: class_created_schema(**without_name)}

    report = compare_with_snapshots(current, {CLASS_CREATED: committed_snapshots()[CLASS_CREATED]})

    assert report.incompatible == {CLASS_CREATED: ["$.data.name: field removed"]}
    assert "bump the topic version" in describe(report)


def test_the_same_change_under_a_bumped_topic_only_needs_new_snapshots() -> None:
    without_name = {k: v for k, v in CURRENT_FIELDS.items() if k != "name"}
    current = {CLASS_CREATED_V2: class_created_schema(**without_name)}

    report = compare_with_snapshots(current, {CLASS_CREATED: committed_snapshots()[CLASS_CREATED]})

    assert report.incompatible == {}
    assert (report.missing, report.orphaned) == ([CLASS_CREATED_V2], [CLASS_CREATED])


def test_a_new_optional_field_only_needs_the_snapshot_regenerated() -> None:
    with_optional = CURRENT_FIELDS | {"room": (str | None, None)}
    current = {CLASS_CREATED: class_created_schema(**with_optional)}

    report = compare_with_snapshots(current, {CLASS_CREATED: committed_snapshots()[CLASS_CREATED]})

    assert report.incompatible == {}
    assert report.outdated == [CLASS_CREATED]
    assert "regenerate with:" in describe(report)


def test_a_new_required_field_is_incompatible() -> None:
    with_required = CURRENT_FIELDS | {"room": (str, ...)}
    current = {CLASS_CREATED: class_created_schema(**with_required)}

    report = compare_with_snapshots(current, {CLASS_CREATED: committed_snapshots()[CLASS_CREATED]})

    assert report.incompatible == {CLASS_CREATED: ["$.data.room: new required field"]}
