from pydantic import BaseModel, ConfigDict


class EventPayload(BaseModel):
    """Base of every event payload.

    Unknown fields are ignored rather than rejected so that a consumer still on an older model
    keeps reading events after a producer adds an optional field (the compatible change the
    snapshots allow).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")
