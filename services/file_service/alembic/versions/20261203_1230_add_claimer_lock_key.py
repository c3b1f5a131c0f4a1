"""Record which worker's liveness lock guards a claim

A claim made by a worker that holds a PostgreSQL session advisory lock carries the lock's key; a
claim whose key is no longer locked belongs to a dead worker and is due at once, without waiting
for its lease.

Revision ID: 0003_claimer_lock_key
Revises: 0002_event_outbox
Create Date: 2026-12-03 12:30:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_claimer_lock_key"
down_revision: str | None = "0002_event_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("file_uploads", sa.Column("claimer_lock_key", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("file_uploads", "claimer_lock_key")
