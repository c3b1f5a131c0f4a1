"""credit_ledger.quantity as BIGINT: an admin adjustment records its delta or target balance
there, which the API allows up to 10^12 (an INTEGER column refused 2^31 and up with a 500)

Revision ID: 20261207_1615
Revises: 20261122_0252
Create Date: 2026-12-07T16:15:00+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261207_1615"
down_revision = "20261122_0252"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("credit_ledger", "quantity", type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    # Fails while a row holds a quantity beyond 32 bits: that is data the old column cannot keep.
    op.alter_column("credit_ledger", "quantity", type_=sa.Integer(), existing_type=sa.BigInteger())
