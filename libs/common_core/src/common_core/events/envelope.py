import re
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4, uuid5

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, model_validator

from common_core.timestamps import UtcDatetime, utc_now

# huleedu.<area>.<event>.v<N>; <event> may itself be dotted (huleedu.cj.assessment.completed.v1).
TOPIC_PATTERN = r"^huleedu(\.[a-z][a-z0-9_]*){2,}\.v[1-9][0-9]*$"
_VERSION_SUFFIX = re.compile(r"\.v([1-9][0-9]*)$")

# Root namespace for deterministic ids; string namespaces are derived from it.
HULEEDU_NAMESPACE = UUID("6c1f0e8a-3d4b-5f6e-9a7b-2c8d0e1f4a5b")

PayloadT = TypeVar("PayloadT", bound=BaseModel)


def topic_version(topic: str) -> int:
    match = _VERSION_SUFFIX.search(topic)
    if match is None:
        raise ValueError(f"topic {topic!r} has no .v<N> version suffix")
    return int(match.group(1))


def deterministic_event_id(namespace: UUID | str, business_key: str) -> UUID:
    """The same (namespace, business key) always gives the same UUIDv5: retries stay idempotent."""
    namespace_id = namespace if isinstance(namespace, UUID) else uuid5(HULEEDU_NAMESPACE, namespace)
    return uuid5(namespace_id, business_key)


class EventEnvelope(BaseModel, Generic[PayloadT]):
    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str = Field(pattern=TOPIC_PATTERN, description="The topic name.")
    event_timestamp: UtcDatetime = Field(default_factory=utc_now)
    source_service: str = Field(min_length=1)
    schema_version: int = Field(default=1, ge=1, description="Always the topic's version.")
    correlation_id: UUID
    # Serialised by its runtime type, so an envelope typed with a base payload class loses nothing.
    data: SerializeAsAny[PayloadT]
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _default_schema_version_from_topic(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "schema_version" not in raw:
            event_type = raw.get("event_type")
            if isinstance(event_type, str) and _VERSION_SUFFIX.search(event_type):
                return {**raw, "schema_version": topic_version(event_type)}
        return raw

    @model_validator(mode="after")
    def _schema_version_matches_topic(self) -> "EventEnvelope[PayloadT]":
        if self.schema_version != topic_version(self.event_type):
            raise ValueError(
                f"schema_version {self.schema_version} does not match topic {self.event_type}"
            )
        return self
