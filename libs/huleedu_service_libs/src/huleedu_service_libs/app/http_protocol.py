"""Uvicorn's HTTP protocol (httptools), answering a request it cannot parse as the app would.

Uvicorn refuses a malformed request line or header (a control character in a header value,
a bad chunk size) before any app code runs, with a plain-text 400 that carries no correlation
id. Here that answer is an ErrorDetail (VALIDATION_ERROR) with a generated X-Correlation-ID:
the caller's own id, if it sent one, is exactly what could not be read.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from common_core.error_enums import ErrorCode
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.correlation import CORRELATION_HEADER, CorrelationContext

PROTOCOL_PATH = "huleedu_service_libs.app.http_protocol:ErrorDetailHttpToolsProtocol"
MALFORMED_MESSAGE = "Malformed HTTP request: a request line or header could not be parsed"
OPERATION = "http_parser"
UNKNOWN_SERVICE = "http_server"


def malformed_request_response(service: str) -> bytes:
    correlation = CorrelationContext.generate()
    detail = ErrorDetail(
        error_code=ErrorCode.VALIDATION_ERROR,
        message=MALFORMED_MESSAGE,
        correlation_id=correlation.uuid,
        original_correlation_id=correlation.original,
        service=service,
        operation=OPERATION,
    )
    body = detail.model_dump_json().encode()
    head = (
        "HTTP/1.1 400 Bad Request\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"{CORRELATION_HEADER.lower()}: {correlation.original}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class ErrorDetailHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        self.transport.write(malformed_request_response(_service_name(self.app)))
        self.transport.close()


def _service_name(app: Any) -> str:
    # Uvicorn wraps the app (proxy headers, the ASGI adapter); a HuleEduApp's name is its service.
    for _ in range(8):
        if app is None:
            break
        name = getattr(app, "name", None)
        if isinstance(name, str):
            return name
        app = getattr(app, "app", None)
    return UNKNOWN_SERVICE
