import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

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


def test_development_output_is_readable_text(stream: io.StringIO) -> None:
    configure_logging("svc", "development", stream=stream)

    create_service_logger("svc").info("hello", item="x")

    output = stream.getvalue()
    assert "hello" in output
    assert "item" in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output)


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
