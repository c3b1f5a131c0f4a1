"""The relay as a process of its own, for services without a worker process and for drills.

    python -m huleedu_service_libs.outbox.relay_main --service-name file_service \
        --database-url postgresql+asyncpg://... --kafka-bootstrap host:9092 \
        [--redis-url redis://...] [--no-idempotence] [--environment production] \
        [--batch-size N] [--poll-interval S] [--lanes N] [--max-attempts N] [--publish-timeout S]

SIGTERM or SIGINT stops it gracefully: the batch in flight is published and marked first.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.config.settings import Environment
from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.logging_utils import configure_logging
from huleedu_service_libs.outbox.relay import EventRelayWorker
from huleedu_service_libs.outbox.settings import outbox_settings_for
from huleedu_service_libs.outbox.wakeup import RelayWakeup


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Run the outbox relay for one service.")
    parser.add_argument("--service-name", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--kafka-bootstrap", required=True)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--no-idempotence", action="store_true")
    parser.add_argument("--environment", type=Environment, default=Environment.PRODUCTION)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--poll-interval", type=float, default=None)
    parser.add_argument("--lanes", type=int, default=None)
    parser.add_argument("--max-attempts", type=int, default=None)
    parser.add_argument("--publish-timeout", type=float, default=None)
    return parser


def _overrides(arguments: argparse.Namespace) -> dict[str, object]:
    chosen = {
        "batch_size": arguments.batch_size,
        "poll_interval_seconds": arguments.poll_interval,
        "lanes": arguments.lanes,
        "max_attempts": arguments.max_attempts,
        "publish_timeout_seconds": arguments.publish_timeout,
    }
    return {name: value for name, value in chosen.items() if value is not None}


async def run_relay(arguments: argparse.Namespace) -> None:
    # No pre-ping: under asyncpg it costs three round trips (BEGIN, ";", ROLLBACK) per batch, and
    # the relay already drops a connection that PostgreSQL closed and retries with backoff.
    engine = create_async_engine(arguments.database_url)
    bus = KafkaBus(arguments.kafka_bootstrap, arguments.service_name, not arguments.no_idempotence)
    redis = Redis.from_url(arguments.redis_url) if arguments.redis_url else None
    relay = EventRelayWorker(
        engine,
        bus,
        arguments.service_name,
        outbox_settings_for(arguments.environment, **_overrides(arguments)),
        wakeup=RelayWakeup(redis, arguments.service_name) if redis else None,
    )
    await bus.start()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, lambda: asyncio.ensure_future(relay.stop()))
    try:
        await relay.run()
    finally:
        await bus.stop()
        await engine.dispose()
        if redis is not None:
            await redis.aclose()


def main(argv: Sequence[str] | None = None) -> None:
    arguments = _parser().parse_args(argv)
    configure_logging(arguments.service_name, arguments.environment.value)
    tune_garbage_collector()
    run_service(run_relay(arguments))


if __name__ == "__main__":
    main()
