"""Kafka producer (KafkaBus) and the consumer runtime for worker processes."""

from huleedu_service_libs.kafka.bus import KafkaBus
from huleedu_service_libs.kafka.consumer import (
    DLQ_SUFFIX,
    EventConsumer,
    RetryPolicy,
)
from huleedu_service_libs.kafka.messages import (
    Headers,
    OutgoingMessage,
    envelope_headers,
    header_value,
    message_for,
)

__all__ = [
    "DLQ_SUFFIX",
    "EventConsumer",
    "Headers",
    "KafkaBus",
    "OutgoingMessage",
    "RetryPolicy",
    "envelope_headers",
    "header_value",
    "message_for",
]
