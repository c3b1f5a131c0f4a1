"""The service's tables. The schema is created only by the Alembic chain, never at start-up."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from huleedu_service_libs.idempotency.inbox import INBOX_TABLE, InboxBase
from huleedu_service_libs.outbox.model import with_event_outbox
from huleedu_service_libs.schema import service_metadata

STATES = (
    "initializing",
    "awaiting_authorization",
    "comparing",
    "scoring",
    "completed",
    "failed",
    "cancelled",
)
ACTIVE = "state NOT IN ('completed', 'failed', 'cancelled')"
COMPARISON_STATUSES = ("pending", "completed", "failed")
AWARE = DateTime(timezone=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    metadata = service_metadata()


class Essay(Base):
    """An essay the file service provisioned (EssayContentProvisionedV1); the text stays there."""

    __tablename__ = "essays"
    __table_args__ = (Index(None, "batch_id", "owner_user_id"),)

    essay_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    batch_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True))
    owner_user_id: Mapped[str] = mapped_column(String(255))
    course_code: Mapped[str] = mapped_column(String(16))
    class_id: Mapped[UUID | None] = mapped_column(PG_UUID(as_uuid=True))
    original_file_name: Mapped[str] = mapped_column(String(1000))
    text_storage_id: Mapped[str] = mapped_column(String(255))
    text_char_count: Mapped[int] = mapped_column(Integer)
    provisioned_at: Mapped[datetime] = mapped_column(AWARE)
    removed_at: Mapped[datetime | None] = mapped_column(AWARE)


class Anchor(Base):
    """A reference essay with a known grade; its identity and grade never reach the judge."""

    __tablename__ = "anchors"
    __table_args__ = (Index(None, "owner_user_id", "course_code", "assignment_id"),)

    id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    owner_user_id: Mapped[str] = mapped_column(String(255))
    course_code: Mapped[str] = mapped_column(String(16))
    assignment_id: Mapped[str | None] = mapped_column(String(1000))
    grade_scale: Mapped[str] = mapped_column(String(32))
    grade: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AWARE)


class Assessment(Base):
    """One CJ batch: its request, design, state machine, progress, credits and outcome."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        Index(None, "user_id", "created_at"),
        Index(None, "state", "next_attempt_at"),
        # At most one running assessment per batch and user; finished ones may be re-run.
        Index(
            "uq_assessments_active_batch",
            "user_id",
            "batch_id",
            unique=True,
            postgresql_where=text(ACTIVE),
        ),
    )

    id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    org_id: Mapped[str | None] = mapped_column(String(255))
    batch_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True))
    origin: Mapped[str] = mapped_column(String(16))
    request_event_id: Mapped[UUID | None] = mapped_column(PG_UUID(as_uuid=True), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    course_code: Mapped[str] = mapped_column(String(16))
    assignment_id: Mapped[str | None] = mapped_column(String(1000))
    grade_scale: Mapped[str | None] = mapped_column(String(32))
    judge_kind: Mapped[str] = mapped_column(String(16))
    judge_overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    design: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(32))
    planned_comparisons: Mapped[int] = mapped_column(Integer)
    completed_comparisons: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failed_comparisons: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rounds_done: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reliability: Mapped[float | None] = mapped_column(Float)
    split_half_reliability: Mapped[float | None] = mapped_column(Float)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    authorization_id: Mapped[UUID | None] = mapped_column(PG_UUID(as_uuid=True))
    credits_settled_at: Mapped[datetime | None] = mapped_column(AWARE)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    correlation_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(AWARE)
    next_attempt_at: Mapped[datetime] = mapped_column(AWARE)
    progress_at: Mapped[datetime] = mapped_column(AWARE)
    created_at: Mapped[datetime] = mapped_column(AWARE)
    updated_at: Mapped[datetime] = mapped_column(AWARE)
    completed_at: Mapped[datetime | None] = mapped_column(AWARE)


class AssessmentEssay(Base):
    """A participant of one assessment; `position` is its index in the scoring model."""

    __tablename__ = "assessment_essays"
    __table_args__ = (UniqueConstraint("assessment_id", "essay_id"),)

    assessment_id: Mapped[UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    essay_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True))
    text_storage_id: Mapped[str | None] = mapped_column(String(255))
    anchor_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("anchors.id", ondelete="RESTRICT"), index=True
    )
    anchor_grade: Mapped[str | None] = mapped_column(String(16))


class ComparisonRound(Base):
    __tablename__ = "comparison_rounds"

    assessment_id: Mapped[UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    round_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    planned: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AWARE)
    closed_at: Mapped[datetime | None] = mapped_column(AWARE)
    charged_quantity: Mapped[int | None] = mapped_column(Integer)
    charged_at: Mapped[datetime | None] = mapped_column(AWARE)
    charge_error: Mapped[str | None] = mapped_column(Text)


class Comparison(Base):
    """One judgement: the pair, who was shown as A and B, the answer or the error, and timing."""

    __tablename__ = "comparisons"
    __table_args__ = (
        CheckConstraint(_in("status", COMPARISON_STATUSES), name="status"),
        CheckConstraint("winner IS NULL OR winner IN ('A', 'B')", name="winner"),
        CheckConstraint("first_position <> second_position", name="distinct_essays"),
        ForeignKeyConstraint(
            ["assessment_id", "round_no"],
            ["comparison_rounds.assessment_id", "comparison_rounds.round_no"],
            ondelete="CASCADE",
        ),
        Index(None, "assessment_id", "status"),
    )

    id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    assessment_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True))
    round_no: Mapped[int] = mapped_column(Integer)
    first_position: Mapped[int] = mapped_column(Integer)
    second_position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    winner: Mapped[str | None] = mapped_column(String(1))
    confidence: Mapped[float | None] = mapped_column(Float)
    justification: Mapped[str | None] = mapped_column(Text)
    judge: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(AWARE)
    completed_at: Mapped[datetime | None] = mapped_column(AWARE)
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class EssayScore(Base):
    __tablename__ = "essay_scores"

    assessment_id: Mapped[UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    essay_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True))
    is_anchor: Mapped[bool] = mapped_column(Boolean)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    standard_error: Mapped[float] = mapped_column(Float)
    normalized_score: Mapped[float] = mapped_column(Float)
    comparison_count: Mapped[int] = mapped_column(Integer)
    infit: Mapped[float] = mapped_column(Float)
    outfit: Mapped[float] = mapped_column(Float)
    misfit: Mapped[bool] = mapped_column(Boolean)


class GradeProjectionRow(Base):
    __tablename__ = "grade_projections"

    assessment_id: Mapped[UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    grade: Mapped[str] = mapped_column(String(16))
    probability: Mapped[float] = mapped_column(Float)
    confidence: Mapped[str] = mapped_column(String(16))
    probabilities: Mapped[dict[str, float]] = mapped_column(JSON)


class JudgeStatisticsRow(Base):
    """How one judge identity behaved in a completed assessment (domain/judge_statistics.py)."""

    __tablename__ = "judge_statistics"

    assessment_id: Mapped[UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    judge: Mapped[str] = mapped_column(String(255), primary_key=True)
    judgements: Mapped[int] = mapped_column(Integer)
    infit: Mapped[float] = mapped_column(Float)
    first_position_wins: Mapped[float] = mapped_column(Float)
    position_bias: Mapped[float] = mapped_column(Float)
    position_bias_se: Mapped[float] = mapped_column(Float)
    agreement: Mapped[float] = mapped_column(Float)
    expected_agreement: Mapped[float] = mapped_column(Float)


def schema_metadata() -> MetaData:
    """Every table the Alembic chain owns: ours, the shared event_outbox and the event inbox."""
    combined = with_event_outbox(Base.metadata)
    InboxBase.metadata.tables[INBOX_TABLE].to_metadata(combined)
    return combined
