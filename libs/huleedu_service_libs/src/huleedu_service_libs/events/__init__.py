"""Building the envelopes a service emits."""

from huleedu_service_libs.events.factory import EnvelopeFactory

__all__ = ["EnvelopeFactory"]
