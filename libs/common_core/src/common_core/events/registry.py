"""The one event registry: each ProcessingEvent has exactly one topic, payload model, producer and
set of consumers. Topic setup, typed decoding and the README's topic table all read from here."""

from dataclasses import dataclass
from enum import StrEnum

from common_core.events import cj, class_management, entitlements, file
from common_core.events.base import EventPayload
from common_core.events.errors import UnknownTopicError
from common_core.service_names import ServiceName


class ProcessingEvent(StrEnum):
    RESOURCE_CONSUMPTION = "resource_consumption"
    CREDIT_BALANCE_CHANGED = "credit_balance_changed"
    USAGE_RECORDED = "usage_recorded"
    USAGE_AUTHORIZED = "usage_authorized"
    RATE_LIMIT_EXCEEDED = "rate_limit_exceeded"
    ESSAY_CONTENT_PROVISIONED = "essay_content_provisioned"
    ESSAY_VALIDATION_FAILED = "essay_validation_failed"
    BATCH_FILE_ADDED = "batch_file_added"
    BATCH_FILE_REMOVED = "batch_file_removed"
    CLASS_CREATED = "class_created"
    CLASS_UPDATED = "class_updated"
    CLASS_DELETED = "class_deleted"
    STUDENT_CREATED = "student_created"
    STUDENT_UPDATED = "student_updated"
    STUDENT_DELETED = "student_deleted"
    BATCH_AUTHOR_MATCHES_SUGGESTED = "batch_author_matches_suggested"
    STUDENT_ASSOCIATIONS_CONFIRMED = "student_associations_confirmed"
    ELS_CJ_ASSESSMENT_REQUESTED = "els_cj_assessment_requested"
    CJ_ASSESSMENT_STARTED = "cj_assessment_started"
    CJ_ASSESSMENT_COMPLETED = "cj_assessment_completed"
    CJ_ASSESSMENT_FAILED = "cj_assessment_failed"
    ASSESSMENT_RESULT = "assessment_result"


@dataclass(frozen=True)
class EventSpec:
    event: ProcessingEvent
    topic: str
    payload_model: type[EventPayload]
    producer: ServiceName
    consumers: tuple[ServiceName, ...]


_E = ProcessingEvent
_S = ServiceName


def _spec(
    event: ProcessingEvent,
    topic: str,
    payload_model: type[EventPayload],
    producer: ServiceName,
    *consumers: ServiceName,
) -> EventSpec:
    return EventSpec(event, topic, payload_model, producer, consumers)


_SPECS: tuple[EventSpec, ...] = (
    _spec(
        _E.RESOURCE_CONSUMPTION,
        "huleedu.entitlements.resource.consumption.v1",
        entitlements.ResourceConsumptionV1,
        _S.CJ_ASSESSMENT,
        _S.ENTITLEMENTS,
    ),
    _spec(
        _E.CREDIT_BALANCE_CHANGED,
        "huleedu.entitlements.credit.balance_changed.v1",
        entitlements.CreditBalanceChangedV1,
        _S.ENTITLEMENTS,
    ),
    _spec(
        _E.USAGE_RECORDED,
        "huleedu.entitlements.usage.recorded.v1",
        entitlements.UsageRecordedV1,
        _S.ENTITLEMENTS,
    ),
    _spec(
        _E.USAGE_AUTHORIZED,
        "huleedu.entitlements.usage.authorized.v1",
        entitlements.UsageAuthorizedV1,
        _S.ENTITLEMENTS,
    ),
    _spec(
        _E.RATE_LIMIT_EXCEEDED,
        "huleedu.entitlements.rate_limit.exceeded.v1",
        entitlements.RateLimitExceededV1,
        _S.ENTITLEMENTS,
    ),
    _spec(
        _E.ESSAY_CONTENT_PROVISIONED,
        "huleedu.file.essay.content_provisioned.v1",
        file.EssayContentProvisionedV1,
        _S.FILE,
        _S.CJ_ASSESSMENT,
        _S.ESSAY_LIFECYCLE,
    ),
    _spec(
        _E.ESSAY_VALIDATION_FAILED,
        "huleedu.file.essay.validation_failed.v1",
        file.EssayValidationFailedV1,
        _S.FILE,
        _S.ESSAY_LIFECYCLE,
    ),
    _spec(
        _E.BATCH_FILE_ADDED,
        "huleedu.file.batch.file_added.v1",
        file.BatchFileAddedV1,
        _S.FILE,
        _S.ESSAY_LIFECYCLE,
    ),
    _spec(
        _E.BATCH_FILE_REMOVED,
        "huleedu.file.batch.file_removed.v1",
        file.BatchFileRemovedV1,
        _S.FILE,
        _S.CJ_ASSESSMENT,
        _S.ESSAY_LIFECYCLE,
    ),
    _spec(
        _E.CLASS_CREATED,
        "huleedu.class_management.class.created.v1",
        class_management.ClassCreatedV1,
        _S.CLASS_MANAGEMENT,
    ),
    _spec(
        _E.CLASS_UPDATED,
        "huleedu.class_management.class.updated.v1",
        class_management.ClassUpdatedV1,
        _S.CLASS_MANAGEMENT,
    ),
    _spec(
        _E.CLASS_DELETED,
        "huleedu.class_management.class.deleted.v1",
        class_management.ClassDeletedV1,
        _S.CLASS_MANAGEMENT,
    ),
    _spec(
        _E.STUDENT_CREATED,
        "huleedu.class_management.student.created.v1",
        class_management.StudentCreatedV1,
        _S.CLASS_MANAGEMENT,
    ),
    _spec(
        _E.STUDENT_UPDATED,
        "huleedu.class_management.student.updated.v1",
        class_management.StudentUpdatedV1,
        _S.CLASS_MANAGEMENT,
    ),
    _spec(
        _E.STUDENT_DELETED,
        "huleedu.class_management.student.deleted.v1",
        class_management.StudentDeletedV1,
        _S.CLASS_MANAGEMENT,
    ),
    _spec(
        _E.BATCH_AUTHOR_MATCHES_SUGGESTED,
        "huleedu.nlp.batch.author_matches_suggested.v1",
        class_management.BatchAuthorMatchesSuggestedV1,
        _S.NLP,
        _S.CLASS_MANAGEMENT,
    ),
    _spec(
        _E.STUDENT_ASSOCIATIONS_CONFIRMED,
        "huleedu.class_management.student_associations.confirmed.v1",
        class_management.StudentAssociationsConfirmedV1,
        _S.CLASS_MANAGEMENT,
        _S.ESSAY_LIFECYCLE,
    ),
    _spec(
        _E.ELS_CJ_ASSESSMENT_REQUESTED,
        "huleedu.els.cj_assessment.requested.v1",
        cj.ELS_CJAssessmentRequestV1,
        _S.ESSAY_LIFECYCLE,
        _S.CJ_ASSESSMENT,
    ),
    _spec(
        _E.CJ_ASSESSMENT_STARTED,
        "huleedu.cj.assessment.started.v1",
        cj.CJAssessmentStartedV1,
        _S.CJ_ASSESSMENT,
        _S.FILE,
    ),
    _spec(
        _E.CJ_ASSESSMENT_COMPLETED,
        "huleedu.cj.assessment.completed.v1",
        cj.CJAssessmentCompletedV1,
        _S.CJ_ASSESSMENT,
        _S.ESSAY_LIFECYCLE,
    ),
    _spec(
        _E.CJ_ASSESSMENT_FAILED,
        "huleedu.cj.assessment.failed.v1",
        cj.CJAssessmentFailedV1,
        _S.CJ_ASSESSMENT,
        _S.ESSAY_LIFECYCLE,
    ),
    _spec(
        _E.ASSESSMENT_RESULT,
        "huleedu.cj.assessment.result_published.v1",
        cj.AssessmentResultV1,
        _S.CJ_ASSESSMENT,
        _S.RESULT_AGGREGATOR,
    ),
)

_BY_EVENT: dict[ProcessingEvent, EventSpec] = {spec.event: spec for spec in _SPECS}
_BY_TOPIC: dict[str, EventSpec] = {spec.topic: spec for spec in _SPECS}
_BY_MODEL: dict[type[EventPayload], EventSpec] = {spec.payload_model: spec for spec in _SPECS}


def all_event_specs() -> tuple[EventSpec, ...]:
    return _SPECS


def event_spec(event: ProcessingEvent) -> EventSpec:
    return _BY_EVENT[event]


def topic_name(event: ProcessingEvent) -> str:
    return _BY_EVENT[event].topic


def payload_model_for(event: ProcessingEvent) -> type[EventPayload]:
    return _BY_EVENT[event].payload_model


def spec_for_topic(topic: str) -> EventSpec:
    try:
        return _BY_TOPIC[topic]
    except KeyError:
        raise UnknownTopicError(topic) from None


def event_for_topic(topic: str) -> ProcessingEvent:
    return spec_for_topic(topic).event


def spec_for_payload(payload_type: type[EventPayload]) -> EventSpec:
    try:
        return _BY_MODEL[payload_type]
    except KeyError:
        raise LookupError(f"{payload_type.__name__} is not a registered event payload") from None


def topics_consumed_by(service: ServiceName) -> list[str]:
    return [spec.topic for spec in _SPECS if service in spec.consumers]


def topics_produced_by(service: ServiceName) -> list[str]:
    return [spec.topic for spec in _SPECS if spec.producer is service]
