"""The verifier's comparison and its messages (the live-database side is an integration test)."""

from __future__ import annotations

from dataclasses import replace

from huleedu_service_libs.outbox.verify import IndexShape, TableShape, differences, expected_shape


def _with(shape: TableShape, **indexes: IndexShape | None) -> TableShape:
    updated = dict(shape.indexes)
    for name, index in indexes.items():
        if index is None:
            updated.pop(name)
        else:
            updated[name] = index
    return TableShape(dict(shape.columns), updated)


def test_the_model_expects_the_two_shared_index_names_with_their_predicate() -> None:
    indexes = expected_shape().indexes
    assert indexes["ix_event_outbox_unpublished"] == IndexShape(
        ("published_at", "created_at"), "published_at is null"
    )
    assert indexes["ix_event_outbox_aggregate"] == IndexShape(
        ("aggregate_type", "aggregate_id"), None
    )


def test_every_timestamp_column_is_timezone_aware() -> None:
    timestamps = [c for c in expected_shape().columns.values() if "timestamp" in c.type]
    assert len(timestamps) == 4
    assert {c.type for c in timestamps} == {"timestamp with time zone"}


def test_an_identical_database_has_no_differences() -> None:
    assert differences(expected_shape(), expected_shape()) == []


def test_each_difference_is_named() -> None:
    expected = expected_shape()
    unpublished = expected.indexes["ix_event_outbox_unpublished"]
    live = _with(
        expected,
        ix_event_outbox_unpublished=replace(unpublished, predicate=None),
        ix_event_outbox_aggregate=None,
        idx_outbox_legacy=IndexShape(("created_at",), None),
    )
    live.columns["seq"] = replace(live.columns["seq"], identity=False)
    assert differences(expected, live) == [
        "column seq: is bigint NOT NULL, expected bigint NOT NULL identity",
        "index idx_outbox_legacy: unexpected",
        "index ix_event_outbox_aggregate: missing",
        "index ix_event_outbox_unpublished: predicate is '(none)', expected 'published_at is null'",
    ]


def test_a_missing_table_is_one_difference() -> None:
    assert differences(expected_shape(), None) == ["table event_outbox: missing"]
