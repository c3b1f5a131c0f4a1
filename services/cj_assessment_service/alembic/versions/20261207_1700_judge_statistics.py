"""Judge statistics per judge identity of a completed assessment

Revision ID: 20261207_1700
Revises: 20261122_0311
Create Date: 2026-12-07T17:00:00+00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

revision = "20261207_1700"
down_revision = "20261122_0311"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "judge_statistics",
        sa.Column("assessment_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("judge", sa.String(255), nullable=False),
        sa.Column("judgements", sa.Integer(), nullable=False),
        sa.Column("infit", sa.Float(), nullable=False),
        sa.Column("first_position_wins", sa.Float(), nullable=False),
        sa.Column("position_bias", sa.Float(), nullable=False),
        sa.Column("position_bias_se", sa.Float(), nullable=False),
        sa.Column("agreement", sa.Float(), nullable=False),
        sa.Column("expected_agreement", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_judge_statistics_assessment_id_assessments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", "judge", name="pk_judge_statistics"),
    )


def downgrade() -> None:
    op.drop_table("judge_statistics")
