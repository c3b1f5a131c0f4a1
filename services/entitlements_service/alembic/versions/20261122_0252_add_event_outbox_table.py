"""Add the shared transactional outbox table (huleedu_service_libs.outbox)

Revision ID: 20261122_0252
Revises: 20261122_0250
Create Date: 2026-11-22T02:52:35+00:00
"""

from huleedu_service_libs.outbox.migration import (
    create_event_outbox_table,
    drop_event_outbox_table,
)

revision = "20261122_0252"
down_revision = "20261122_0250"
branch_labels = None
depends_on = None

# The library's helpers are this revision's steps, so every service's outbox table is the same.
upgrade = create_event_outbox_table
downgrade = drop_event_outbox_table
