from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """Base of request and response bodies that cross service boundaries.

    Unknown fields are ignored so either side can add an optional field before the other upgrades.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")
