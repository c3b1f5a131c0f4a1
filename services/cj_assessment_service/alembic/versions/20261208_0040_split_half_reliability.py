"""Split-half reliability of a completed assessment, beside the model-based reliability

Revision ID: 20261208_0040
Revises: 20261207_1700
Create Date: 2026-12-08T00:40:00+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261208_0040"
down_revision = "20261207_1700"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assessments", sa.Column("split_half_reliability", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("assessments", "split_half_reliability")
