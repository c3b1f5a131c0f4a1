"""Check this service's live event_outbox against the shared model (seed 000).

    python services/entitlements_service/scripts/verify_outbox_indexes.py \
        --database-url postgresql+asyncpg://user:pass@host:5432/huleedu_entitlements

Exit 0 when the table, its columns and its indexes (`ix_event_outbox_unpublished` on
(published_at, created_at) WHERE published_at IS NULL, `ix_event_outbox_aggregate` on
(aggregate_type, aggregate_id), and the relay's own) match; 1 listing each missing or mismatched
item; 2 when the database cannot be reached.
"""

from __future__ import annotations

import sys

from huleedu_service_libs.outbox.verify import main

if __name__ == "__main__":
    sys.exit(main())
