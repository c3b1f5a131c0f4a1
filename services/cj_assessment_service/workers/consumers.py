"""The topics the worker consumes and the use case each event goes to."""

from __future__ import annotations

from typing import Any

from common_core.events.cj import ELS_CJAssessmentRequestV1
from common_core.events.file import BatchFileRemovedV1, EssayContentProvisionedV1
from huleedu_service_libs.kafka.subscriptions import Subscription
from services.cj_assessment_service.config import Settings
from services.cj_assessment_service.handlers.essays import (
    RecordProvisionedEssay,
    RecordRemovedEssay,
)
from services.cj_assessment_service.handlers.requests import HandleAssessmentRequest


def subscriptions(settings: Settings) -> list[Subscription[Any]]:
    return [
        Subscription(ELS_CJAssessmentRequestV1, HandleAssessmentRequest, settings.REQUEST_TOPIC),
        Subscription(
            EssayContentProvisionedV1,
            RecordProvisionedEssay,
            settings.CONTENT_PROVISIONED_TOPIC,
        ),
        Subscription(BatchFileRemovedV1, RecordRemovedEssay, settings.FILE_REMOVED_TOPIC),
    ]
