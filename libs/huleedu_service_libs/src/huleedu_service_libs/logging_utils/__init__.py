"""Structured logging on structlog: JSON lines in production, console output in development."""

from huleedu_service_libs.logging_utils.setup import (
    configure_logging,
    create_service_logger,
)

__all__ = [
    "configure_logging",
    "create_service_logger",
]
