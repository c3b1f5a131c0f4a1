from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Naive datetimes are rejected (AwareDatetime); aware ones are normalised to UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
