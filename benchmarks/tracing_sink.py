"""What the tracing-on side of a benchmark exports to: a local OTLP/HTTP endpoint that reads
every export request and answers 200, so the exporter does its real work (protobuf encoding, an
HTTP POST per batch) and nothing is stored. Also the side-by-side table both benchmarks print."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from huleedu_service_libs.testing.processes import free_port


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # the http.server hook's name
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        sink: OtlpSink = self.server.sink  # type: ignore[attr-defined]
        sink.record(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@dataclass
class OtlpSink:
    url: str
    exports: int = 0
    bytes_received: int = 0

    def record(self, length: int) -> None:
        self.exports += 1
        self.bytes_received += length


@contextmanager
def otlp_sink() -> Iterator[OtlpSink]:
    """Serves until exit, in a thread of this process; `url` is the OTLP base URL."""
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    sink = OtlpSink(f"http://127.0.0.1:{port}")
    server.sink = sink  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Comparison:
    label: str
    unit: str
    off: float
    on: float

    @property
    def cost_percent(self) -> float:
        """Throughput lost to tracing, in per cent of the untraced throughput."""
        return 100 * (1 - self.on / self.off) if self.off else 0.0


def print_comparison(rows: Sequence[Comparison], footnote: str) -> None:
    print(f"{'tracing off vs on':<36}{'off':>12}{'on':>12}{'on/off':>9}{'cost':>9}")
    for row in rows:
        print(
            f"{row.label:<36}{row.off:>12,.0f}{row.on:>12,.0f}"
            f"{row.on / row.off if row.off else 0:>9.3f}{row.cost_percent:>8.1f}%"
            f"  {row.unit}"
        )
    print(footnote)
