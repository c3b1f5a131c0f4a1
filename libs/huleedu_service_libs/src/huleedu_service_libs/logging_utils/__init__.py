"""Structured logging on structlog: JSON lines, or console lines on a terminal in development;
every line with its correlation, trace and span ids."""

from huleedu_service_libs.logging_utils.setup import (
    configure_logging,
    create_service_logger,
)

__all__ = [
    "configure_logging",
    "create_service_logger",
]
