"""HuleEdu contracts: event envelope, topic registry, error codes, event and API models."""

from common_core.courses import CourseCode, Language
from common_core.error_enums import (
    CJAssessmentErrorCode,
    ClassManagementErrorCode,
    ErrorCode,
    FileValidationErrorCode,
    http_status_for,
)
from common_core.events.codec import decode_envelope, decode_envelope_as, new_envelope
from common_core.events.envelope import EventEnvelope, deterministic_event_id
from common_core.events.errors import EventDecodeError, InvalidEventError, UnknownTopicError
from common_core.events.registry import ProcessingEvent, event_for_topic, topic_name
from common_core.grade_scales import GradeScaleId, grade_scale
from common_core.models.error_models import ErrorDetail
from common_core.service_names import ServiceName

__all__ = [
    "CJAssessmentErrorCode",
    "ClassManagementErrorCode",
    "CourseCode",
    "ErrorCode",
    "ErrorDetail",
    "EventDecodeError",
    "EventEnvelope",
    "FileValidationErrorCode",
    "GradeScaleId",
    "InvalidEventError",
    "Language",
    "ProcessingEvent",
    "ServiceName",
    "UnknownTopicError",
    "decode_envelope",
    "decode_envelope_as",
    "deterministic_event_id",
    "event_for_topic",
    "grade_scale",
    "http_status_for",
    "new_envelope",
    "topic_name",
]
