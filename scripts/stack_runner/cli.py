"""`pdm run stack`: the whole platform on this machine, no Docker.

Starts PostgreSQL, Redis and Kafka (embedded, data kept in .stack/; or external with
--external), creates each service's database, runs every Alembic chain, creates the topics,
starts every service's HTTP server and worker with prefixed logs, waits for each /healthz, and
prints the URLs. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from huleedu_service_libs.logging_utils.setup import LOG_FORMATS
from scripts.platform_services import GATEWAY, REPO_ROOT, SERVICES, known_names
from scripts.stack_runner.children import Console
from scripts.stack_runner.health import StackError
from scripts.stack_runner.infrastructure import (
    ENV_KAFKA,
    ENV_KAFKA_IDEMPOTENCE,
    ENV_POSTGRES,
    ENV_REDIS,
    InfrastructureError,
)
from scripts.stack_runner.runner import RunningService, Stack, StackOptions

ENV_OTLP_ENDPOINT = "HULEEDU_STACK_OTLP_ENDPOINT"

INTERRUPTED = 130


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            f"--external reads {ENV_POSTGRES} (a server where databases may be created), "
            f"{ENV_REDIS}, {ENV_KAFKA} and optionally {ENV_KAFKA_IDEMPOTENCE} (default true)."
        ),
    )
    parser.add_argument("--fresh", action="store_true", help="wipe the data directory first")
    parser.add_argument("--external", action="store_true", help="use servers from the environment")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".stack")
    parser.add_argument("--start-timeout", type=float, default=120.0, help="seconds per service")
    parser.add_argument("--no-color", action="store_true", help="plain log prefixes")
    parser.add_argument(
        "--check",
        action="store_true",
        help="start, wait for every /healthz, then stop: exit 0 only when all four services ran",
    )
    parser.add_argument(
        "--otlp-endpoint",
        default=os.environ.get(ENV_OTLP_ENDPOINT) or None,
        metavar="URL",
        help="send every process's traces to this OTLP/HTTP endpoint, e.g. http://localhost:4318"
        f" (default: ${ENV_OTLP_ENDPOINT}; unset: no tracing)",
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=None,
        help="the processes' log lines: JSON (their default here, since their output is a pipe)"
        " or console text (no colour); see docs/observability.md",
    )
    parser.add_argument(
        "--port",
        action="append",
        default=[],
        metavar="SERVICE=PORT",
        help="serve a service (or api_gateway_service) on another port, e.g. file_service=17001"
        " (repeatable)",
    )
    return parser


def parse_ports(pairs: Sequence[str]) -> dict[str, int]:
    ports = {spec.name: spec.port for spec in SERVICES} | {GATEWAY.name: GATEWAY.port}
    for pair in pairs:
        name, _, port = pair.partition("=")
        if name not in ports or not port.isdigit():
            raise SystemExit(
                f"--port {pair!r}: expected SERVICE=PORT with SERVICE in {known_names()}, "
                f"{GATEWAY.name}"
            )
        ports[name] = int(port)
    return ports


def url_table(services: Sequence[RunningService]) -> str:
    rows = [("service", "API", "API docs", "health")]
    rows += [
        (s.spec.name, s.base_url, f"{s.base_url}/docs", f"{s.base_url}/healthz") for s in services
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


async def _start_unless_stopped(stack: Stack, stop: asyncio.Event) -> float | None:
    starting = asyncio.create_task(stack.start())
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([starting, stopped], return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if starting.done():
        return starting.result()
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError, StackError):
        await starting
    return None


async def run(options: StackOptions, console: Console, check: bool = False) -> int:
    stack = Stack(options, console)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        return await _run(stack, stop, console, check)
    except (StackError, InfrastructureError) as error:
        console.info(f"the stack cannot start: {error}")
        return 1
    finally:
        console.info("stopping")
        await stack.stop()
        console.info("stopped")


async def _run(stack: Stack, stop: asyncio.Event, console: Console, check: bool) -> int:
    seconds = await _start_unless_stopped(stack, stop)
    if seconds is None:
        return INTERRUPTED
    for line in url_table(stack.services).splitlines():
        console.info(line)
    gateway = stack.gateway_url
    console.info(f"API gateway (the public entry): {gateway}, docs {gateway}/docs")
    console.info("  a token: ./dev pdm run token --user teacher-1 [--org ORG]")
    console.info(f"Prometheus file_sd targets: {stack.targets_path} (docs/observability.md)")
    console.info(f"up in {seconds:.1f} s; data in {stack.options.data_dir}; Ctrl-C stops it")
    if check:
        return 1 if stack.plan.missing else 0
    exited = await stack.wait_for_exit(stop)
    if exited is None:
        return 0
    console.info(f"{exited.spec.label} exited with code {exited.exit_code}; stopping the stack")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    options = StackOptions(
        data_dir=arguments.data_dir.resolve(),
        fresh=arguments.fresh,
        external=arguments.external,
        start_timeout=arguments.start_timeout,
        ports=parse_ports(arguments.port),
        otlp_endpoint=arguments.otlp_endpoint,
        log_format=arguments.log_format,
    )
    colour = not arguments.no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return asyncio.run(run(options, Console(colour=colour), arguments.check))
