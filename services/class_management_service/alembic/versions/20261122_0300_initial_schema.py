"""Courses, classes, students, roster memberships, essay-student associations, event inbox.

Revision ID: 20261122_0300
Revises:
Create Date: 2026-11-22 03:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from huleedu_service_libs.idempotency import create_inbox_table, drop_inbox_table

revision: str = "20261122_0300"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWARE = sa.DateTime(timezone=True)
UUID = postgresql.UUID(as_uuid=True)
ESA = "essay_student_associations"


def upgrade() -> None:
    _create_courses()
    _create_classes()
    _create_students()
    _create_memberships()
    _create_essay_student_associations()
    create_inbox_table()


def downgrade() -> None:
    drop_inbox_table()
    op.drop_table(ESA)
    op.drop_table("class_student_association")
    op.drop_table("students")
    op.drop_table("classes")
    op.drop_table("courses")


def _create_courses() -> None:
    op.create_table(
        "courses",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_courses"),
    )


def _create_classes() -> None:
    op.create_table(
        "classes",
        sa.Column("id", UUID, nullable=False),
        sa.Column("owner_user_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("course_code", sa.String(16), nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_classes"),
        sa.ForeignKeyConstraint(
            ["course_code"],
            ["courses.code"],
            name="fk_classes_course_code_courses",
            ondelete="RESTRICT",
        ),
    )
    op.create_index("ix_classes_course_code", "classes", ["course_code"])
    op.create_index(
        "ix_classes_owner_user_id_created_at", "classes", ["owner_user_id", "created_at"]
    )


def _create_students() -> None:
    op.create_table(
        "students",
        sa.Column("id", UUID, nullable=False),
        sa.Column("owner_user_id", sa.String(255), nullable=False),
        sa.Column("first_name", sa.String(255), nullable=False),
        sa.Column("last_name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_students"),
        sa.UniqueConstraint("owner_user_id", "email", name="uq_students_owner_user_id_email"),
    )


def _create_memberships() -> None:
    op.create_table(
        "class_student_association",
        sa.Column("class_id", UUID, nullable=False),
        sa.Column("student_id", UUID, nullable=False),
        sa.Column("added_at", AWARE, nullable=False),
        sa.PrimaryKeyConstraint("class_id", "student_id", name="pk_class_student_association"),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["classes.id"],
            name="fk_class_student_association_class_id_classes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name="fk_class_student_association_student_id_students",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_class_student_association_student_id", "class_student_association", ["student_id"]
    )


def _create_essay_student_associations() -> None:
    op.create_table(ESA, *_association_columns(), *_association_constraints())
    for columns in (
        ["batch_id"],
        ["class_id"],
        ["validation_status"],
        ["suggested_student_id"],
        ["student_id"],
        ["batch_id", "validation_status"],
    ):
        op.create_index(f"ix_{ESA}_{'_'.join(columns)}", ESA, columns)
    op.create_index(
        f"ix_{ESA}_pending_created_at",
        ESA,
        ["created_at"],
        postgresql_where=sa.text("validation_status = 'pending_validation'"),
    )


def _association_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", UUID, nullable=False),
        sa.Column("batch_id", UUID, nullable=False),
        sa.Column("class_id", UUID, nullable=False),
        sa.Column("essay_id", UUID, nullable=False),
        sa.Column("file_name", sa.String(1000), nullable=True),
        sa.Column("text_storage_id", sa.String(255), nullable=True),
        sa.Column("suggested_student_id", UUID, nullable=True),
        sa.Column("confidence_score", sa.Float(), nullable=True),
        sa.Column("no_match_reason", sa.String(1000), nullable=True),
        sa.Column("student_id", UUID, nullable=True),
        sa.Column("validation_status", sa.String(32), nullable=False),
        sa.Column("validation_method", sa.String(16), nullable=True),
        sa.Column("validated_by", sa.String(255), nullable=True),
        sa.Column("validated_at", AWARE, nullable=True),
        sa.Column("source_event_id", UUID, nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
    ]


def _association_constraints() -> list[sa.Constraint]:
    return [
        sa.PrimaryKeyConstraint("id", name=f"pk_{ESA}"),
        sa.UniqueConstraint("batch_id", "essay_id", name=f"uq_{ESA}_batch_id_essay_id"),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=f"fk_{ESA}_class_id_classes", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["suggested_student_id"],
            ["students.id"],
            name=f"fk_{ESA}_suggested_student_id_students",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=f"fk_{ESA}_student_id_students",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "validation_status IN "
            "('pending_validation', 'confirmed', 'rejected', 'timeout_confirmed')",
            name=f"ck_{ESA}_validation_status",
        ),
        sa.CheckConstraint(
            "validation_method IS NULL OR validation_method IN ('human', 'timeout', 'auto')",
            name=f"ck_{ESA}_validation_method",
        ),
        sa.CheckConstraint(
            "confidence_score IS NULL OR (confidence_score >= 0 AND confidence_score <= 1)",
            name=f"ck_{ESA}_confidence_score",
        ),
    ]
