from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO, get_args

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

# Third-party loggers that must not keep handlers of their own, so their records reach ours.
ROUTED_LIBRARY_LOGGERS = ("aiokafka", "sqlalchemy", "uvicorn", "uvicorn.error", "quart")
# "auto": console lines only on a terminal in development; JSON lines everywhere else.
LogFormat = Literal["auto", "json", "console"]
LOG_FORMATS: tuple[str, ...] = get_args(LogFormat)


class _HuleEduHandler(logging.StreamHandler[TextIO]):
    """Marks the root handler we own, so reconfiguring replaces it instead of stacking another."""


def configure_logging(
    service_name: str,
    environment: str = "development",
    level: str | int = "INFO",
    *,
    stream: TextIO | None = None,
    log_format: LogFormat = "auto",
) -> None:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log_format must be one of {LOG_FORMATS}, not {log_format!r}")
    output = stream or sys.stdout
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
    handler = _HuleEduHandler(output)
    on_terminal = _is_terminal(output)
    console = log_format == "console" or (
        log_format == "auto" and environment == "development" and on_terminal
    )
    handler.setFormatter(_formatter(shared, console=console, colours=on_terminal))
    _install_root_handler(handler, level)
    _route_library_loggers()


def create_service_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


def _shared_processors(service_name: str) -> list[Processor]:
    def add_service_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict["service"] = service_name
        event_dict.setdefault("correlation_id", None)
        return event_dict

    def add_trace_ids(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        context = trace.get_current_span().get_span_context()
        valid = context.is_valid
        event_dict.setdefault("trace_id", format(context.trace_id, "032x") if valid else None)
        event_dict.setdefault("span_id", format(context.span_id, "016x") if valid else None)
        return event_dict

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service_fields,
        add_trace_ids,
        structlog.processors.StackInfoRenderer(),
    ]


def _formatter(
    shared: list[Processor], *, console: bool, colours: bool
) -> structlog.stdlib.ProcessorFormatter:
    renderers: list[Processor]
    if console:
        renderers = [structlog.dev.ConsoleRenderer(colors=colours)]
    else:
        renderers = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    return structlog.stdlib.ProcessorFormatter(
        # A library record's %-arguments make its message and are never written out on their
        # own (a server's may hold a whole request environment).
        foreign_pre_chain=shared,
        pass_foreign_args=False,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
    )


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False


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
