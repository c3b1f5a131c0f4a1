from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel, Field, create_model

from common_core.contract_checks.compatibility import incompatibilities


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class FewerColours(StrEnum):
    RED = "red"


class MoreColours(StrEnum):
    RED = "red"
    BLUE = "blue"
    GREEN = "green"


class Inner(BaseModel):
    score: float
    label: str


class InnerWithoutLabel(BaseModel):
    score: float


class Original(BaseModel):
    essay_id: str
    count: int
    note: str | None = None
    colour: Colour = Colour.RED
    inner: Inner
    tags: list[str] = Field(default_factory=list)
    weights: dict[str, float] = Field(default_factory=dict)
    title: str = Field(default="", max_length=100)


def schema_of(**changes: Any) -> dict[str, Any]:
    """The schema of Original with some fields replaced (None removes the field)."""
    fields: dict[str, Any] = {
        name: (field.annotation, field) for name, field in Original.model_fields.items()
    }
    for name, change in changes.items():
        if change is None:
            del fields[name]
        else:
            fields[name] = change
    variant: type[BaseModel] = create_model("Original", **fields)
    return variant.model_json_schema()


ORIGINAL = Original.model_json_schema()


def test_identical_schemas_are_compatible() -> None:
    assert incompatibilities(ORIGINAL, schema_of()) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"count": None}, "$.count: field removed"),
        ({"count": (str, ...)}, "$.count: type changed from integer to string"),
        ({"note": (str, ...)}, "$.note: optional field made required"),
        ({"extra": (int, ...)}, "$.extra: new required field"),
        ({"note": (str, "")}, "$.note: null is no longer accepted"),
        ({"colour": (FewerColours, FewerColours.RED)}, "$.colour: value 'blue' no longer accepted"),
        ({"inner": (InnerWithoutLabel, ...)}, "$.inner.label: field removed"),
        ({"tags": (list[int], Field(default_factory=list))}, "$.tags[]: type changed"),
        ({"weights": (dict[str, str], Field(default_factory=dict))}, "$.weights[*]: type changed"),
        ({"title": (str, Field(default="", max_length=10))}, "$.title: maxLength tightened to 10"),
        ({"count": (int, Field(ge=0))}, "$.count: minimum tightened to 0"),
        ({"essay_id": (str, Field(pattern="^[0-9]+$"))}, "$.essay_id: pattern changed"),
    ],
)
def test_incompatible_changes_are_reported_with_their_path(
    changes: dict[str, Any], problem: str
) -> None:
    problems = incompatibilities(ORIGINAL, schema_of(**changes))

    assert any(found.startswith(problem) for found in problems), problems


@pytest.mark.parametrize(
    "changes",
    [
        {"added": (str | None, None)},
        {"count": (int | None, ...)},
        {"count": (float, ...)},
        {"colour": (MoreColours, MoreColours.RED)},
        {"title": (str, Field(default="", max_length=200))},
        {"essay_id": (str, "fallback")},
    ],
    ids=[
        "new optional field",
        "type widened to optional",
        "integer widened to number",
        "enum value added",
        "constraint loosened",
        "required made optional",
    ],
)
def test_compatible_changes_pass(changes: dict[str, Any]) -> None:
    assert incompatibilities(ORIGINAL, schema_of(**changes)) == []
