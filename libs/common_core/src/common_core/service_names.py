from enum import StrEnum


class ServiceName(StrEnum):
    ENTITLEMENTS = "entitlements_service"
    FILE = "file_service"
    CLASS_MANAGEMENT = "class_management_service"
    CJ_ASSESSMENT = "cj_assessment_service"
    # Services of the wider platform that live outside this repository.
    ESSAY_LIFECYCLE = "essay_lifecycle_service"
    NLP = "nlp_service"
    RESULT_AGGREGATOR = "result_aggregator_service"

    @property
    def is_external(self) -> bool:
        return self in _EXTERNAL


_EXTERNAL = frozenset({ServiceName.ESSAY_LIFECYCLE, ServiceName.NLP, ServiceName.RESULT_AGGREGATOR})
