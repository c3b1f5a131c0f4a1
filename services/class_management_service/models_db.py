"""The service's tables. The schema is created only by the Alembic chain, never at start-up."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from huleedu_service_libs.idempotency.inbox import INBOX_TABLE, InboxBase
from huleedu_service_libs.outbox.model import with_event_outbox
from huleedu_service_libs.schema import service_metadata

ASSOCIATION_STATUSES = ("pending_validation", "confirmed", "rejected", "timeout_confirmed")
VALIDATION_METHODS = ("human", "timeout", "auto")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    metadata = service_metadata()


class Course(Base):
    """Reference data, inserted by the seed migration and never written by the service."""

    __tablename__ = "courses"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8))
    level: Mapped[int] = mapped_column(SmallInteger)


class UserClass(Base):
    __tablename__ = "classes"
    __table_args__ = (Index(None, "owner_user_id", "created_at"),)

    id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    owner_user_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    course_code: Mapped[str] = mapped_column(
        ForeignKey("courses.code", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Student(Base):
    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("owner_user_id", "email"),)

    id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    owner_user_id: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    # Stored normalised (trimmed, lower case), so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClassStudentAssociation(Base):
    """Roster membership. Removing a class or a student removes its memberships (no orphans)."""

    __tablename__ = "class_student_association"

    class_id: Mapped[UUID] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[UUID] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EssayStudentAssociation(Base):
    """One essay of a batch and its author: suggested by NLP, then confirmed by a teacher or by
    the timeout monitor. RESTRICT keys: a class or student with associations cannot vanish."""

    __tablename__ = "essay_student_associations"
    __table_args__ = (
        UniqueConstraint("batch_id", "essay_id"),
        Index(None, "batch_id", "validation_status"),
        Index(
            "ix_essay_student_associations_pending_created_at",
            "created_at",
            postgresql_where=text("validation_status = 'pending_validation'"),
        ),
        CheckConstraint(_in("validation_status", ASSOCIATION_STATUSES), name="validation_status"),
        CheckConstraint(
            f"validation_method IS NULL OR {_in('validation_method', VALIDATION_METHODS)}",
            name="validation_method",
        ),
        CheckConstraint(
            "confidence_score IS NULL OR (confidence_score >= 0 AND confidence_score <= 1)",
            name="confidence_score",
        ),
    )

    id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    batch_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), index=True)
    class_id: Mapped[UUID] = mapped_column(
        ForeignKey("classes.id", ondelete="RESTRICT"), index=True
    )
    essay_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True))
    file_name: Mapped[str | None] = mapped_column(String(1000))
    text_storage_id: Mapped[str | None] = mapped_column(String(255))
    suggested_student_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("students.id", ondelete="RESTRICT"), index=True
    )
    confidence_score: Mapped[float | None] = mapped_column(Float)
    no_match_reason: Mapped[str | None] = mapped_column(String(1000))
    student_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("students.id", ondelete="RESTRICT"), index=True
    )
    validation_status: Mapped[str] = mapped_column(String(32), index=True)
    validation_method: Mapped[str | None] = mapped_column(String(16))
    validated_by: Mapped[str | None] = mapped_column(String(255))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_event_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def schema_metadata() -> MetaData:
    """Every table the Alembic chain owns: ours, the shared event_outbox and the event inbox."""
    combined = with_event_outbox(Base.metadata)
    InboxBase.metadata.tables[INBOX_TABLE].to_metadata(combined)
    return combined
