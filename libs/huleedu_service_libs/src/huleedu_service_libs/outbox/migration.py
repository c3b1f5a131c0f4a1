"""Create and drop `event_outbox` from a service's Alembic revision.

    from huleedu_service_libs.outbox.migration import (
        create_event_outbox_table, drop_event_outbox_table,
    )

    def upgrade() -> None:
        create_event_outbox_table()

    def downgrade() -> None:
        drop_event_outbox_table()

The DDL is written out here rather than derived from the model, so a revision keeps creating
the schema it was written for; a test checks that it matches the model exactly. A later change
to the table gets its own helper and its own revision in every service.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from huleedu_service_libs.outbox.model import (
    AGGREGATE_INDEX,
    CLAIMABLE,
    DUE_INDEX,
    KEY_ORDER_INDEX,
    PENDING,
    PUBLISHED,
    PUBLISHED_INDEX,
    TABLE_NAME,
    UNPUBLISHED_INDEX,
)


def create_event_outbox_table() -> None:
    op.create_table(TABLE_NAME, *_columns(), sa.PrimaryKeyConstraint("id"))
    op.create_index(
        UNPUBLISHED_INDEX,
        TABLE_NAME,
        ["published_at", "created_at"],
        postgresql_where=sa.text(PENDING),
    )
    op.create_index(AGGREGATE_INDEX, TABLE_NAME, ["aggregate_type", "aggregate_id"])
    op.create_index(
        DUE_INDEX, TABLE_NAME, ["next_attempt_at", "seq"], postgresql_where=sa.text(CLAIMABLE)
    )
    op.create_index(
        KEY_ORDER_INDEX, TABLE_NAME, ["event_key", "seq"], postgresql_where=sa.text(PENDING)
    )
    op.create_index(
        PUBLISHED_INDEX, TABLE_NAME, ["published_at"], postgresql_where=sa.text(PUBLISHED)
    )


def drop_event_outbox_table() -> None:
    op.drop_table(TABLE_NAME)  # its indexes go with it


def _columns() -> list[sa.Column[object]]:
    aware = sa.DateTime(timezone=True)
    return [
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            server_default=sa.text("gen_random_uuid()"),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("aggregate_id", sa.String(255), nullable=False),
        sa.Column("aggregate_type", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("event_data", postgresql.JSON(), nullable=False),
        sa.Column("event_key", sa.String(255), nullable=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("created_at", aware, server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", aware, nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", aware, server_default=sa.text("now()"), nullable=False),
        sa.Column("dead_lettered_at", aware, nullable=True),
    ]
