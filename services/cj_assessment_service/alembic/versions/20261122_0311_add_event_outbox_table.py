"""Add the shared transactional outbox table (huleedu_service_libs.outbox)

Revision ID: 20261122_0311
Revises: 20261122_0310
Create Date: 2026-11-22T03:11:00+00:00
"""

from huleedu_service_libs.outbox.migration import (
    create_event_outbox_table,
    drop_event_outbox_table,
)

revision = "20261122_0311"
down_revision = "20261122_0310"
branch_labels = None
depends_on = None

# The library's helpers are this revision's steps, so every service's outbox table is the same.
upgrade = create_event_outbox_table
downgrade = drop_event_outbox_table
