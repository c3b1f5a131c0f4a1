"""The transactional outbox: one shared table, the writer, the relay, and their tools.

See README.md beside this file for adopting it in a service, the guarantees and the runbook.
"""

from huleedu_service_libs.outbox.model import EventOutbox, OutboxBase, with_event_outbox
from huleedu_service_libs.outbox.publishing import Publisher
from huleedu_service_libs.outbox.relay import EventRelayWorker
from huleedu_service_libs.outbox.repository import OutboxRepositoryProtocol, SqlOutboxRepository
from huleedu_service_libs.outbox.settings import OutboxSettings, outbox_settings_for
from huleedu_service_libs.outbox.wakeup import RelayWakeup, wake_key
from huleedu_service_libs.outbox.writer import (
    EnvelopeMismatchError,
    NotInTransactionError,
    OutboxEvent,
    OutboxManager,
    insert_outbox_rows,
    outbox_row_values,
)

__all__ = [
    "EnvelopeMismatchError",
    "EventOutbox",
    "EventRelayWorker",
    "NotInTransactionError",
    "OutboxBase",
    "OutboxEvent",
    "OutboxManager",
    "OutboxRepositoryProtocol",
    "OutboxSettings",
    "Publisher",
    "RelayWakeup",
    "SqlOutboxRepository",
    "insert_outbox_rows",
    "outbox_row_values",
    "outbox_settings_for",
    "wake_key",
    "with_event_outbox",
]
