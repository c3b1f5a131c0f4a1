"""Create every Kafka topic of the common_core registry, each with its `<topic>.DLQ`.

Used by the compose `kafka_topic_setup` job and by the local stack. Idempotent: topics that exist
are left as they are (and reported). Waits for the broker to answer first.

    python scripts/create_topics.py --bootstrap-servers localhost:9092 --partitions 3
    python scripts/create_topics.py --list        # print the topics, touch nothing
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from common_core.events.registry import all_event_specs
from huleedu_service_libs.kafka import DLQ_SUFFIX

ENV_BOOTSTRAP = "HULEEDU_KAFKA_BOOTSTRAP_SERVERS"
ENV_PARTITIONS = "HULEEDU_KAFKA_TOPIC_PARTITIONS"
ENV_REPLICATION = "HULEEDU_KAFKA_REPLICATION_FACTOR"


class BrokerUnavailable(RuntimeError):
    """The broker did not answer within the wait."""


@dataclass
class TopicReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def registry_topics() -> list[str]:
    return sorted(spec.topic for spec in all_event_specs())


def planned_topics() -> list[str]:
    """Every registry topic followed by its dead-letter topic."""
    return [name for topic in registry_topics() for name in (topic, topic + DLQ_SUFFIX)]


async def create_topics(
    bootstrap_servers: str,
    partitions: int,
    replication_factor: int = 1,
    wait_seconds: float = 60.0,
) -> TopicReport:
    admin = await _connected_admin(bootstrap_servers, wait_seconds)
    try:
        existing = set(await admin.list_topics())
        report = TopicReport()
        for topic in planned_topics():
            created = topic not in existing and await _create(
                admin, topic, partitions, replication_factor
            )
            (report.created if created else report.existing).append(topic)
        return report
    finally:
        await admin.close()


async def _create(
    admin: AIOKafkaAdminClient, topic: str, partitions: int, replication_factor: int
) -> bool:
    """True when this call created the topic, False when someone else had (a race)."""
    response = await admin.create_topics([NewTopic(topic, partitions, replication_factor)])
    for _name, code, *_rest in getattr(response, "topic_errors", []):
        if code == TopicAlreadyExistsError.errno:
            return False
        if code != 0:
            raise KafkaError(f"creating {topic} failed with Kafka error code {code}")
    return True


async def _connected_admin(bootstrap_servers: str, wait_seconds: float) -> AIOKafkaAdminClient:
    deadline = time.monotonic() + wait_seconds
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
        try:
            await admin.start()
            return admin
        except KafkaConnectionError as error:
            await admin.close()
            if time.monotonic() >= deadline:
                raise BrokerUnavailable(
                    f"no Kafka broker at {bootstrap_servers} after {wait_seconds:.0f} s ({error})"
                ) from None
            await asyncio.sleep(1.0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get(ENV_BOOTSTRAP, "localhost:9092"),
        help=f"Kafka bootstrap servers (default: ${ENV_BOOTSTRAP} or localhost:9092)",
    )
    parser.add_argument(
        "--partitions",
        type=int,
        default=int(os.environ.get(ENV_PARTITIONS, "3")),
        help=f"partitions of each new topic (default: ${ENV_PARTITIONS} or 3)",
    )
    parser.add_argument(
        "--replication-factor",
        type=int,
        default=int(os.environ.get(ENV_REPLICATION, "1")),
        help=f"replication factor of each new topic (default: ${ENV_REPLICATION} or 1)",
    )
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the broker")
    parser.add_argument("--list", action="store_true", help="print the topics and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.list:
        print("\n".join(planned_topics()))
        return 0
    try:
        report = asyncio.run(
            create_topics(
                arguments.bootstrap_servers,
                arguments.partitions,
                arguments.replication_factor,
                arguments.wait,
            )
        )
    except (BrokerUnavailable, KafkaError) as error:
        print(f"topic set-up failed: {error}", file=sys.stderr)
        return 1
    print(f"topics: {len(report.created)} created, {len(report.existing)} already there")
    for topic in report.created:
        print(f"  created {topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
