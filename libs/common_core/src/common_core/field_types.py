"""Constrained field types reused by event and API models, so each rule is stated once."""

from typing import Annotated

from pydantic import Field

NonEmptyStr = Annotated[str, Field(min_length=1, max_length=1000)]
# Users and organisations are identified by the gateway's opaque ids (X-User-ID, X-Org-ID).
UserId = Annotated[str, Field(min_length=1, max_length=255)]
OrgId = Annotated[str, Field(min_length=1, max_length=255)]
# Content-store keys are opaque to everyone but the file service.
StorageId = Annotated[str, Field(min_length=1, max_length=255)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255)]
MetricName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Md5Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
