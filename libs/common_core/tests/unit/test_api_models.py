from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from common_core.models import (
    AuthorizationResponse,
    BulkCreditCheckRequest,
    BulkCreditCheckResponse,
    ConsumeAuthorizationRequest,
    ConsumeCreditsRequest,
    ConsumeCreditsResponse,
    CreateAuthorizationRequest,
    CreditCheckRequest,
    CreditCheckResponse,
    EssayContentResponse,
    ReleaseAuthorizationRequest,
)

ModelStrategy = Callable[[type[Any]], st.SearchStrategy[Any]]

API_MODELS: list[type[BaseModel]] = [
    CreditCheckRequest,
    CreditCheckResponse,
    BulkCreditCheckRequest,
    BulkCreditCheckResponse,
    ConsumeCreditsRequest,
    ConsumeCreditsResponse,
    CreateAuthorizationRequest,
    ConsumeAuthorizationRequest,
    ReleaseAuthorizationRequest,
    AuthorizationResponse,
    EssayContentResponse,
]


@pytest.mark.parametrize("model", API_MODELS, ids=lambda model: model.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_api_bodies_round_trip_through_json(
    model: type[BaseModel], models: ModelStrategy, data: st.DataObject
) -> None:
    body = data.draw(models(model))

    assert model.model_validate_json(body.model_dump_json()) == body


def consumption(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "user_id": "teacher-1",
        "metric": "cj_comparison",
        "quantity": 3,
        "idempotency_key": f"cj:{uuid4()}:comparisons:0-3",
    }
    return fields | overrides


def test_a_consumption_with_an_org_and_a_resource_is_accepted() -> None:
    request = ConsumeCreditsRequest.model_validate(consumption(org_id="school-7", resource_id="a1"))

    assert (request.org_id, request.quantity) == ("school-7", 3)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"metric": "CJ Comparison"}, "metric"),
        ({"user_id": ""}, "user_id"),
    ],
)
def test_bad_consumption_requests_are_refused_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        ConsumeCreditsRequest.model_validate(consumption(**overrides))


def test_consumption_requires_an_idempotency_key() -> None:
    fields = consumption()
    del fields["idempotency_key"]

    with pytest.raises(ValidationError, match="idempotency_key"):
        ConsumeCreditsRequest.model_validate(fields)


def test_bulk_check_needs_at_least_one_requirement() -> None:
    with pytest.raises(ValidationError, match="requirements"):
        BulkCreditCheckRequest.model_validate({"user_id": "teacher-1", "requirements": []})
