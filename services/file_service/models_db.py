"""The file service's tables. The shared `event_outbox` table is the outbox library's model."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from huleedu_service_libs.outbox import with_event_outbox

FILE_STATUSES = ("pending", "processing", "provisioned", "validation_failed")
UNFINISHED_STATUSES_SQL = "status IN ('pending', 'processing')"


class Base(DeclarativeBase):
    metadata = MetaData()


class BatchRow(Base):
    __tablename__ = "file_batches"
    __table_args__ = (Index("ix_file_batches_owner_created", "owner_user_id", "created_at"),)

    batch_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    owner_user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    course_code: Mapped[str] = mapped_column(String(16), nullable=False)
    class_id: Mapped[UUID | None] = mapped_column(PG_UUID(as_uuid=True), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    locking_assessment_id: Mapped[UUID | None] = mapped_column(PG_UUID(as_uuid=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class FileRow(Base):
    __tablename__ = "file_uploads"
    __table_args__ = (
        UniqueConstraint("batch_id", "file_sha256", name="uq_file_uploads_batch_sha256"),
        CheckConstraint(
            "status IN ('pending', 'processing', 'provisioned', 'validation_failed')",
            name="ck_file_uploads_status",
        ),
        Index(
            "ix_file_uploads_unfinished",
            "created_at",
            postgresql_where=text(UNFINISHED_STATUSES_SQL),
        ),
    )

    file_upload_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    batch_id: Mapped[UUID] = mapped_column(
        PG_UUID(as_uuid=True),
        ForeignKey("file_batches.batch_id", ondelete="CASCADE", name="fk_file_uploads_batch"),
        nullable=False,
    )
    owner_user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    original_file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    file_format: Mapped[str] = mapped_column(String(8), nullable=False)
    file_size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    file_md5: Mapped[str] = mapped_column(String(32), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    raw_storage_id: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    claim_token: Mapped[UUID | None] = mapped_column(PG_UUID(as_uuid=True), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The advisory-lock key of the claiming worker's liveness lock, if it holds one.
    claimer_lock_key: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    correlation_id: Mapped[UUID] = mapped_column(PG_UUID(as_uuid=True), nullable=False)
    original_correlation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    text_storage_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    text_char_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    validation_error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    validation_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ContentRow(Base):
    """The content store when CONTENT_STORE=database: blobs keyed by content type and hash."""

    __tablename__ = "content_blobs"

    storage_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    md5: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


def migration_metadata() -> MetaData:
    """Everything this service's Alembic chain creates (its tables and the shared outbox), for
    env.py and the models-match-migrations test."""
    return with_event_outbox(Base.metadata)
