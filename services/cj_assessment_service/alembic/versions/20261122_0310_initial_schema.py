"""Essays, anchors, assessments, participants, rounds, comparisons, scores, projections, inbox.

Revision ID: 20261122_0310
Revises:
Create Date: 2026-11-22 03:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from huleedu_service_libs.idempotency import create_inbox_table, drop_inbox_table

revision: str = "20261122_0310"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWARE = sa.DateTime(timezone=True)
UUID = postgresql.UUID(as_uuid=True)
STATES = (
    "'initializing', 'awaiting_authorization', 'comparing', 'scoring', 'completed', 'failed', "
    "'cancelled'"
)
ACTIVE = "state NOT IN ('completed', 'failed', 'cancelled')"


def upgrade() -> None:
    _create_essays()
    _create_anchors()
    _create_assessments()
    _create_assessment_essays()
    _create_rounds_and_comparisons()
    _create_results()
    create_inbox_table()


def downgrade() -> None:
    drop_inbox_table()
    for table in (
        "grade_projections",
        "essay_scores",
        "comparisons",
        "comparison_rounds",
        "assessment_essays",
        "assessments",
        "anchors",
        "essays",
    ):
        op.drop_table(table)


def _create_essays() -> None:
    op.create_table(
        "essays",
        sa.Column("essay_id", UUID, nullable=False),
        sa.Column("batch_id", UUID, nullable=False),
        sa.Column("owner_user_id", sa.String(255), nullable=False),
        sa.Column("course_code", sa.String(16), nullable=False),
        sa.Column("class_id", UUID, nullable=True),
        sa.Column("original_file_name", sa.String(1000), nullable=False),
        sa.Column("text_storage_id", sa.String(255), nullable=False),
        sa.Column("text_char_count", sa.Integer(), nullable=False),
        sa.Column("provisioned_at", AWARE, nullable=False),
        sa.Column("removed_at", AWARE, nullable=True),
        sa.PrimaryKeyConstraint("essay_id", name="pk_essays"),
    )
    op.create_index("ix_essays_batch_id_owner_user_id", "essays", ["batch_id", "owner_user_id"])


def _create_anchors() -> None:
    op.create_table(
        "anchors",
        sa.Column("id", UUID, nullable=False),
        sa.Column("owner_user_id", sa.String(255), nullable=False),
        sa.Column("course_code", sa.String(16), nullable=False),
        sa.Column("assignment_id", sa.String(1000), nullable=True),
        sa.Column("grade_scale", sa.String(32), nullable=False),
        sa.Column("grade", sa.String(16), nullable=False),
        sa.Column("label", sa.String(255), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_anchors"),
    )
    op.create_index(
        "ix_anchors_owner_user_id_course_code_assignment_id",
        "anchors",
        ["owner_user_id", "course_code", "assignment_id"],
    )


def _create_assessments() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", UUID, nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("org_id", sa.String(255), nullable=True),
        sa.Column("batch_id", UUID, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("request_event_id", UUID, nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("course_code", sa.String(16), nullable=False),
        sa.Column("assignment_id", sa.String(1000), nullable=True),
        sa.Column("grade_scale", sa.String(32), nullable=True),
        sa.Column("judge_kind", sa.String(16), nullable=False),
        sa.Column("judge_overrides", sa.JSON(), nullable=True),
        sa.Column("design", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("planned_comparisons", sa.Integer(), nullable=False),
        sa.Column(
            "completed_comparisons", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("failed_comparisons", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rounds_done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reliability", sa.Float(), nullable=True),
        sa.Column("stop_reason", sa.String(32), nullable=True),
        sa.Column("authorization_id", UUID, nullable=True),
        sa.Column("credits_settled_at", AWARE, nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("correlation_id", UUID, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", AWARE, nullable=True),
        sa.Column("next_attempt_at", AWARE, nullable=False),
        sa.Column("progress_at", AWARE, nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
        sa.Column("completed_at", AWARE, nullable=True),
        sa.CheckConstraint(f"state IN ({STATES})", name="ck_assessments_state"),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
        sa.UniqueConstraint("request_event_id", name="uq_assessments_request_event_id"),
    )
    op.create_index("ix_assessments_user_id_created_at", "assessments", ["user_id", "created_at"])
    op.create_index(
        "ix_assessments_state_next_attempt_at", "assessments", ["state", "next_attempt_at"]
    )
    op.create_index(
        "uq_assessments_active_batch",
        "assessments",
        ["user_id", "batch_id"],
        unique=True,
        postgresql_where=sa.text(ACTIVE),
    )


def _create_assessment_essays() -> None:
    op.create_table(
        "assessment_essays",
        sa.Column("assessment_id", UUID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("essay_id", UUID, nullable=False),
        sa.Column("text_storage_id", sa.String(255), nullable=True),
        sa.Column("anchor_id", UUID, nullable=True),
        sa.Column("anchor_grade", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_assessment_essays_assessment_id_assessments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name="fk_assessment_essays_anchor_id_anchors",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("assessment_id", "position", name="pk_assessment_essays"),
        sa.UniqueConstraint(
            "assessment_id", "essay_id", name="uq_assessment_essays_assessment_id_essay_id"
        ),
    )
    op.create_index("ix_assessment_essays_anchor_id", "assessment_essays", ["anchor_id"])


def _create_rounds_and_comparisons() -> None:
    op.create_table(
        "comparison_rounds",
        sa.Column("assessment_id", UUID, nullable=False),
        sa.Column("round_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("closed_at", AWARE, nullable=True),
        sa.Column("charged_quantity", sa.Integer(), nullable=True),
        sa.Column("charged_at", AWARE, nullable=True),
        sa.Column("charge_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_comparison_rounds_assessment_id_assessments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", "round_no", name="pk_comparison_rounds"),
    )
    op.create_table(
        "comparisons",
        sa.Column("id", UUID, nullable=False),
        sa.Column("assessment_id", UUID, nullable=False),
        sa.Column("round_no", sa.Integer(), nullable=False),
        sa.Column("first_position", sa.Integer(), nullable=False),
        sa.Column("second_position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("winner", sa.String(1), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("judge", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", AWARE, nullable=False),
        sa.Column("completed_at", AWARE, nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'completed', 'failed')", name="ck_comparisons_status"
        ),
        sa.CheckConstraint("winner IS NULL OR winner IN ('A', 'B')", name="ck_comparisons_winner"),
        sa.CheckConstraint(
            "first_position <> second_position", name="ck_comparisons_distinct_essays"
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id", "round_no"],
            ["comparison_rounds.assessment_id", "comparison_rounds.round_no"],
            name="fk_comparisons_assessment_id_comparison_rounds",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_comparisons"),
    )
    op.create_index(
        "ix_comparisons_assessment_id_status", "comparisons", ["assessment_id", "status"]
    )


def _create_results() -> None:
    op.create_table(
        "essay_scores",
        sa.Column("assessment_id", UUID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("essay_id", UUID, nullable=False),
        sa.Column("is_anchor", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("standard_error", sa.Float(), nullable=False),
        sa.Column("normalized_score", sa.Float(), nullable=False),
        sa.Column("comparison_count", sa.Integer(), nullable=False),
        sa.Column("infit", sa.Float(), nullable=False),
        sa.Column("outfit", sa.Float(), nullable=False),
        sa.Column("misfit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_essay_scores_assessment_id_assessments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", "position", name="pk_essay_scores"),
    )
    op.create_table(
        "grade_projections",
        sa.Column("assessment_id", UUID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(16), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("probabilities", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_grade_projections_assessment_id_assessments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", "position", name="pk_grade_projections"),
    )
