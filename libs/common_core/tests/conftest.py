"""Hypothesis strategies derived from the contracts' own type hints and constraints, so a new field
or constraint is exercised without touching the tests."""

import math
import types
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

import annotated_types
import pytest
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, ValidationError
from pydantic.fields import FieldInfo

from common_core.domain_enums import GradeConfidence
from common_core.events.cj import AssessmentResultV1, EssayAssessmentResult
from common_core.grade_scales import GradeScaleId, grade_scale

ModelStrategy = Callable[[type[BaseModel]], st.SearchStrategy[Any]]

_CONSTRAINTS = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")
_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**9), 10**9)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _flatten(metadata: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            flat += _flatten(item.metadata)
        elif isinstance(item, annotated_types.GroupedMetadata):
            flat += _flatten(iter(item))
        else:
            flat.append(item)
    return flat


def _constraints(metadata: Iterable[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in _flatten(metadata):
        found |= {n: getattr(item, n) for n in _CONSTRAINTS if getattr(item, n, None) is not None}
    return found


def _integers(limits: dict[str, Any]) -> st.SearchStrategy[int]:
    low = limits.get("ge", limits["gt"] + 1 if "gt" in limits else -(10**12))
    high = limits.get("le", limits["lt"] - 1 if "lt" in limits else 10**12)
    return st.integers(low, high)


def _floats(limits: dict[str, Any]) -> st.SearchStrategy[float]:
    return st.floats(
        min_value=limits.get("ge", limits.get("gt")),
        max_value=limits.get("le", limits.get("lt")),
        exclude_min="gt" in limits,
        exclude_max="lt" in limits,
        allow_nan=False,
        allow_infinity=False,
    )


def _strings(limits: dict[str, Any]) -> st.SearchStrategy[str]:
    if "pattern" in limits:
        return st.from_regex(limits["pattern"], fullmatch=True)
    low = limits.get("min_length", 0)
    return st.text(min_size=low, max_size=min(limits.get("max_length", 12), low + 12))


def _scalar(annotation: type, limits: dict[str, Any]) -> st.SearchStrategy[Any]:
    if issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if annotation in (datetime, AwareDatetime):
        return st.datetimes(timezones=st.just(UTC))
    builders: dict[type, Callable[[dict[str, Any]], st.SearchStrategy[Any]]] = {
        bool: lambda _: st.booleans(),
        UUID: lambda _: st.uuids(),
        int: _integers,
        float: _floats,
        str: _strings,
        type(None): lambda _: st.none(),
    }
    return builders[annotation](limits)


def strategy_for(annotation: Any, metadata: Iterable[Any] = ()) -> st.SearchStrategy[Any]:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return strategy_for(args[0], [*metadata, *args[1:]])
    if origin in (Union, types.UnionType):
        return st.one_of([strategy_for(arg, metadata) for arg in args])
    if origin is Literal:
        return st.sampled_from(args)
    limits = _constraints(metadata)
    if origin is list:
        low = limits.get("min_length", 0)
        return st.lists(strategy_for(args[0]), min_size=low, max_size=low + 4)
    if origin is dict:
        return st.dictionaries(strategy_for(args[0]), strategy_for(args[1]), max_size=3)
    if annotation is Any:
        return _JSON_VALUES
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_strategy(annotation)
    return _scalar(annotation, limits)


def _field_values(
    model: type[BaseModel], exclude: frozenset[str] = frozenset()
) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in model.model_fields.items():
        if name not in exclude:
            target = required if field.is_required() else optional
            target[name] = strategy_for(field.annotation, field.metadata)
    return st.fixed_dictionaries(required, optional=optional)


def _validate_or_none(model: type[BaseModel], values: dict[str, Any]) -> BaseModel | None:
    try:
        return model.model_validate(values)
    except ValidationError:
        # Cross-field rules (e.g. a rejected association has no student) discard some draws.
        return None


def model_strategy(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    if model in _HAND_WRITTEN:
        return _HAND_WRITTEN[model]()
    built = _field_values(model).map(lambda values: _validate_or_none(model, values))
    return built.filter(lambda instance: instance is not None)


@st.composite
def _essay_result(draw: st.DrawFn, rank: int, scale: GradeScaleId | None) -> EssayAssessmentResult:
    excluded = frozenset({"rank", "projected_grade", "grade_probabilities", "grade_confidence"})
    values = draw(_field_values(EssayAssessmentResult, exclude=excluded))
    if scale is not None and draw(st.booleans()):
        values |= draw(_grade_projection(grade_scale(scale).grades))
    return EssayAssessmentResult.model_validate(values | {"rank": rank})


@st.composite
def _grade_projection(draw: st.DrawFn, grades: tuple[str, ...]) -> dict[str, Any]:
    weights = draw(st.lists(st.floats(0.001, 1.0), min_size=len(grades), max_size=len(grades)))
    total = math.fsum(weights)
    probabilities = {grade: weight / total for grade, weight in zip(grades, weights, strict=True)}
    return {
        "grade_probabilities": probabilities,
        "projected_grade": max(probabilities, key=probabilities.__getitem__),
        "grade_confidence": draw(st.sampled_from(list(GradeConfidence))),
    }


@st.composite
def _assessment_result(draw: st.DrawFn) -> AssessmentResultV1:
    values = draw(_field_values(AssessmentResultV1, exclude=frozenset({"essay_results"})))
    scale = values.get("grade_scale")
    count = draw(st.integers(0, 5))
    ranks = draw(st.permutations(range(1, count + 1)))
    results = [draw(_essay_result(rank, scale)) for rank in ranks]
    return AssessmentResultV1.model_validate(values | {"essay_results": results})


_HAND_WRITTEN: dict[type[BaseModel], Callable[[], st.SearchStrategy[Any]]] = {
    EssayAssessmentResult: lambda: _essay_result(1, None),
    AssessmentResultV1: _assessment_result,
}


@pytest.fixture(scope="session")
def models() -> ModelStrategy:
    """`models(SomeModel)` is a strategy of valid instances of SomeModel."""
    return model_strategy
