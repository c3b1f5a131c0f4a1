"""Batches, uploaded files and the content-store table

Revision ID: 0001_file_service_tables
Revises:
Create Date: 2026-11-22 03:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_file_service_tables"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = True) -> sa.Column[object]:
    default = None if nullable else sa.text("now()")
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def upgrade() -> None:
    op.create_table(
        "file_batches",
        sa.Column("batch_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("owner_user_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("course_code", sa.String(16), nullable=False),
        sa.Column("class_id", postgresql.UUID(as_uuid=True), nullable=True),
        _timestamp("locked_at"),
        sa.Column("locking_assessment_id", postgresql.UUID(as_uuid=True), nullable=True),
        _timestamp("created_at", nullable=False),
    )
    op.create_index(
        "ix_file_batches_owner_created", "file_batches", ["owner_user_id", "created_at"]
    )
    op.create_table(
        "file_uploads",
        sa.Column("file_upload_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("batch_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("owner_user_id", sa.String(255), nullable=False),
        sa.Column("original_file_name", sa.String(255), nullable=False),
        sa.Column("file_format", sa.String(8), nullable=False),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("file_md5", sa.String(32), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("raw_storage_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claim_token", postgresql.UUID(as_uuid=True), nullable=True),
        _timestamp("claimed_until"),
        sa.Column("correlation_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("original_correlation_id", sa.String(128), nullable=True),
        sa.Column("text_storage_id", sa.String(255), nullable=True),
        sa.Column("text_char_count", sa.Integer(), nullable=True),
        sa.Column("validation_error_code", sa.String(64), nullable=True),
        sa.Column("validation_message", sa.Text(), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("completed_at"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["file_batches.batch_id"],
            name="fk_file_uploads_batch",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("batch_id", "file_sha256", name="uq_file_uploads_batch_sha256"),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'provisioned', 'validation_failed')",
            name="ck_file_uploads_status",
        ),
    )
    op.create_index(
        "ix_file_uploads_unfinished",
        "file_uploads",
        ["created_at"],
        postgresql_where=sa.text("status IN ('pending', 'processing')"),
    )
    op.create_table(
        "content_blobs",
        sa.Column("storage_id", sa.String(255), primary_key=True),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        _timestamp("created_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("content_blobs")
    op.drop_index("ix_file_uploads_unfinished", table_name="file_uploads")
    op.drop_table("file_uploads")
    op.drop_index("ix_file_batches_owner_created", table_name="file_batches")
    op.drop_table("file_batches")
