from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

# Third-party loggers that must not keep handlers of their own, so their records reach ours.
ROUTED_LIBRARY_LOGGERS = ("aiokafka", "sqlalchemy", "uvicorn", "uvicorn.error", "quart")


class _HuleEduHandler(logging.StreamHandler[TextIO]):
    """Marks the root handler we own, so reconfiguring replaces it instead of stacking another."""


def configure_logging(
    service_name: str,
    environment: str = "development",
    level: str | int = "INFO",
    *,
    stream: TextIO | None = None,
) -> None:
    shared = _shared_processors(service_name)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = _HuleEduHandler(stream or sys.stdout)
    handler.setFormatter(_formatter(shared, environment))
    _install_root_handler(handler, level)
    _route_library_loggers()


def create_service_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


def _shared_processors(service_name: str) -> list[Processor]:
    def add_service_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict["service"] = service_name
        event_dict.setdefault("correlation_id", None)
        return event_dict

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service_fields,
        structlog.processors.StackInfoRenderer(),
    ]


def _formatter(shared: list[Processor], environment: str) -> structlog.stdlib.ProcessorFormatter:
    renderers: list[Processor]
    if environment == "development":
        renderers = [structlog.dev.ConsoleRenderer()]
    else:
        renderers = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    return structlog.stdlib.ProcessorFormatter(
        # A library record's %-arguments make its message and are never written out on their
        # own (a server's may hold a whole request environment).
        foreign_pre_chain=shared,
        pass_foreign_args=False,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
    )


def _install_root_handler(handler: logging.Handler, level: str | int) -> None:
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _HuleEduHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)


def _route_library_loggers() -> None:
    for name in ROUTED_LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
