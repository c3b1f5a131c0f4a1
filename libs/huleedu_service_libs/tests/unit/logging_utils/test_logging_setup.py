import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.logging_utils import configure_logging, create_service_logger


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    yield io.StringIO()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    structlog.reset_defaults()


ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(stream: io.StringIO) -> Terminal:
    return Terminal()


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_production_lines_are_json_with_service_and_correlation(stream: io.StringIO) -> None:
    configure_logging("file_service", "production", stream=stream)
    context = CorrelationContext.from_header("req-7")

    with correlation_scope(context):
        create_service_logger("files.upload").info("stored", size=12)

    [line] = json_lines(stream)
    assert line["event"] == "stored"
    assert line["size"] == 12
    assert line["service"] == "file_service"
    assert line["correlation_id"] == str(context.uuid)
    assert line["original_correlation_id"] == "req-7"
    assert line["level"] == "info"
    assert line["logger"] == "files.upload"
    assert "timestamp" in line


def test_lines_outside_any_correlation_carry_a_null_id(stream: io.StringIO) -> None:
    configure_logging("file_service", "production", stream=stream)

    create_service_logger("startup").info("ready")

    [line] = json_lines(stream)
    assert line["correlation_id"] is None
    assert line["service"] == "file_service"


def test_stdlib_library_loggers_share_the_pipeline(stream: io.StringIO) -> None:
    configure_logging("cj_assessment_service", "production", stream=stream)
    context = CorrelationContext.generate()

    with correlation_scope(context):
        logging.getLogger("aiokafka.consumer").warning("rebalance %s", "started")
        logging.getLogger("sqlalchemy.engine").warning("slow query")

    lines = json_lines(stream)
    assert [line["event"] for line in lines] == ["rebalance started", "slow query"]
    assert {line["service"] for line in lines} == {"cj_assessment_service"}
    assert {line["correlation_id"] for line in lines} == {str(context.uuid)}


def test_exceptions_are_logged_with_their_traceback(stream: io.StringIO) -> None:
    configure_logging("svc", "production", stream=stream)

    try:
        raise RuntimeError("kaput")
    except RuntimeError:
        create_service_logger("svc").exception("failed")

    [line] = json_lines(stream)
    assert "Traceback" in line["exception"]
    assert "RuntimeError: kaput" in line["exception"]


def test_level_filters_lower_records(stream: io.StringIO) -> None:
    configure_logging("svc", "production", "WARNING", stream=stream)

    create_service_logger("svc").info("hidden")
    create_service_logger("svc").warning("shown")

    assert [line["event"] for line in json_lines(stream)] == ["shown"]


def test_development_on_a_terminal_is_coloured_readable_text(terminal: io.StringIO) -> None:
    configure_logging("svc", "development", stream=terminal)

    create_service_logger("svc").info("hello", item="x")

    output = terminal.getvalue()
    assert "hello" in output
    assert "item" in output
    assert ANSI.search(output)
    with pytest.raises(json.JSONDecodeError):
        json.loads(output)


def test_development_not_on_a_terminal_is_json_without_colour(stream: io.StringIO) -> None:
    configure_logging("svc", "development", stream=stream)

    create_service_logger("svc").info("hello", item="x")

    assert not ANSI.search(stream.getvalue())
    assert json_lines(stream)[0]["item"] == "x"


def test_production_on_a_terminal_is_json(terminal: io.StringIO) -> None:
    configure_logging("svc", "production", stream=terminal)

    create_service_logger("svc").info("hello")

    assert json_lines(terminal)[0]["event"] == "hello"


def test_console_format_asked_for_off_a_terminal_has_no_colour(stream: io.StringIO) -> None:
    configure_logging("svc", "production", stream=stream, log_format="console")

    create_service_logger("svc").info("hello", item="x")

    assert "hello" in stream.getvalue()
    assert not ANSI.search(stream.getvalue())


def test_json_format_asked_for_on_a_terminal_in_development(terminal: io.StringIO) -> None:
    configure_logging("svc", "development", stream=terminal, log_format="json")

    create_service_logger("svc").info("hello")

    assert json_lines(terminal)[0]["event"] == "hello"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log_format"):
        configure_logging("svc", stream=io.StringIO(), log_format="pretty")  # type: ignore[arg-type]


@pytest.mark.parametrize("target", ["pipe", "file"])
def test_a_development_process_writing_to_a_pipe_or_file_writes_json_lines(
    target: str, tmp_path: Path
) -> None:
    program = (
        "from huleedu_service_libs.logging_utils import configure_logging, create_service_logger\n"
        "import logging\n"
        "configure_logging('svc', 'development')\n"
        "create_service_logger('svc').info('to a file', item=1)\n"
        "logging.getLogger('uvicorn.error').warning('server %s', 'started')\n"
    )
    output = tmp_path / "out.log"
    with output.open("w") as file:
        result = subprocess.run(
            [sys.executable, "-c", program],
            stdout=subprocess.PIPE if target == "pipe" else file,
            text=True,
            check=True,
            timeout=60,
        )
    text = result.stdout if target == "pipe" else output.read_text()

    assert not ANSI.search(text)
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["event"] for line in lines] == ["to a file", "server started"]
    assert all(line["trace_id"] is None for line in lines)


def test_every_line_inside_a_span_carries_its_trace_and_span_ids(stream: io.StringIO) -> None:
    configure_logging("svc", "production", stream=stream)
    tracer = TracerProvider().get_tracer("test")

    with tracer.start_as_current_span("outer") as outer:
        create_service_logger("svc").info("ours")
        logging.getLogger("aiokafka").warning("a library's")
    create_service_logger("svc").info("after")

    ours, library, after = json_lines(stream)
    context = outer.get_span_context()
    for line in (ours, library):
        assert line["trace_id"] == format(context.trace_id, "032x")
        assert line["span_id"] == format(context.span_id, "016x")
    assert (after["trace_id"], after["span_id"]) == (None, None)


def test_reconfiguring_replaces_rather_than_duplicates(stream: io.StringIO) -> None:
    configure_logging("svc", "production", stream=io.StringIO())
    configure_logging("svc", "production", stream=stream)

    create_service_logger("svc").info("once")

    assert len(json_lines(stream)) == 1


def test_server_logs_join_the_pipeline_with_only_their_message(stream: io.StringIO) -> None:
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(logging.StreamHandler(io.StringIO()))  # as a server may install
    configure_logging("svc", "production", stream=stream)
    environment = {"HTTP_AUTHORIZATION": "Bearer secret"}

    uvicorn_error.warning("Started %s with %s", "server process", environment)

    [line] = json_lines(stream)
    assert line["logger"] == "uvicorn.error"
    assert line["service"] == "svc"
    assert line["event"].startswith("Started server process with")
    assert "positional_args" not in line  # the arguments make the message, nothing more
    assert uvicorn_error.handlers == []
