"""Small vocabularies shared by more than one service's events or APIs."""

from enum import StrEnum


class AssociationStatus(StrEnum):
    PENDING_VALIDATION = "pending_validation"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    TIMEOUT_CONFIRMED = "timeout_confirmed"

    @property
    def is_resolved(self) -> bool:
        return self is not AssociationStatus.PENDING_VALIDATION


class ValidationMethod(StrEnum):
    HUMAN = "human"
    TIMEOUT = "timeout"
    AUTO = "auto"


class CJBatchState(StrEnum):
    INITIALIZING = "initializing"
    AWAITING_AUTHORIZATION = "awaiting_authorization"
    COMPARING = "comparing"
    SCORING = "scoring"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_CJ_STATES


_TERMINAL_CJ_STATES = frozenset(
    {CJBatchState.COMPLETED, CJBatchState.FAILED, CJBatchState.CANCELLED}
)


class CJStopReason(StrEnum):
    RELIABILITY_REACHED = "reliability_reached"
    BUDGET_EXHAUSTED = "budget_exhausted"
    NO_INFORMATIVE_PAIRS = "no_informative_pairs"


class JudgeKind(StrEnum):
    LLM = "llm"
    SIMULATED = "simulated"


class GradeConfidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ContentType(StrEnum):
    """What a content-store entry holds."""

    RAW_UPLOAD = "raw_upload"
    EXTRACTED_TEXT = "extracted_text"


class FileFormat(StrEnum):
    """Formats the file service accepts, decided by content rather than by file name."""

    TXT = "txt"
    DOCX = "docx"
    PDF = "pdf"

    @property
    def mime_type(self) -> str:
        return _MIME_TYPES[self]


_MIME_TYPES = {
    FileFormat.TXT: "text/plain",
    FileFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileFormat.PDF: "application/pdf",
}


class CreditSubjectType(StrEnum):
    USER = "user"
    ORG = "org"


class CreditMovementReason(StrEnum):
    GRANT = "grant"
    SIGNUP_BONUS = "signup_bonus"
    CONSUMPTION = "consumption"
    HOLD = "hold"
    HOLD_RELEASE = "hold_release"
    HOLD_EXPIRY = "hold_expiry"
    ADMIN_ADJUSTMENT = "admin_adjustment"


class AuthorizationStatus(StrEnum):
    ACTIVE = "active"
    CONSUMED = "consumed"
    RELEASED = "released"
    EXPIRED = "expired"
