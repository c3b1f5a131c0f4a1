"""The consumer runtime of a worker process.

For each record: decode the envelope through the common_core registry, run the topic's handler in
the event's correlation context, and commit the offset only after the handler succeeded. A failing
handler is retried with exponential backoff; after `max_attempts`, or at once for a record that
cannot be decoded, the record goes to `<topic>.DLQ` with the error in its headers, its offset is
committed and the partition moves on. Stopping finishes the record in hand.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry, Counter, Gauge

from common_core.events.codec import decode_envelope
from common_core.events.envelope import EventEnvelope
from common_core.events.errors import EventDecodeError
from huleedu_service_libs.correlation import correlation_of, correlation_scope
from huleedu_service_libs.idempotency.decorator import EventInFlightError
from huleedu_service_libs.kafka.bus import KafkaBus
from huleedu_service_libs.kafka.messages import OutgoingMessage, header_value
from huleedu_service_libs.observability.propagation import consumer_span

Handler = Callable[[EventEnvelope[Any]], Awaitable[None]]
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
DLQ_SUFFIX = ".DLQ"
logger = structlog.get_logger("huleedu.kafka.consumer")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay_seconds: float = 0.2
    max_delay_seconds: float = 5.0
    in_flight_wait_seconds: float = 0.5

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1)))


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        by_topic = ["topic"]
        self.consumed = Counter(
            "kafka_messages_consumed", "Handled records", by_topic, registry=registry
        )
        self.failed = Counter(
            "kafka_handler_failures", "Failed handler attempts", by_topic, registry=registry
        )
        self.dead_lettered = Counter(
            "kafka_messages_dead_lettered", "Records sent to a DLQ", by_topic, registry=registry
        )
        self.lag = Gauge(
            "kafka_consumer_lag_records",
            "Records behind the high watermark",
            ["topic", "partition"],
            registry=registry,
        )


class EventConsumer:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        handlers: Mapping[str, Handler],
        dead_letter_bus: KafkaBus,
        registry: CollectorRegistry,
        retry: RetryPolicy | None = None,
        session_timeout_ms: int = 10000,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.handlers = dict(handlers)
        self.dead_letter_bus = dead_letter_bus
        self.retry = retry or RetryPolicy()
        self.metrics = ConsumerMetrics(registry)
        self.session_timeout_ms = session_timeout_ms
        self.tracer_provider = tracer_provider
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        await self._ensure_dead_letter_topics()
        consumer = AIOKafkaConsumer(
            *self.handlers,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(100, self.session_timeout_ms // 10),
        )
        try:
            await consumer.start()  # a failed start still leaves sockets to close
            await self._consume(consumer)
        finally:
            await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for partition, records in batches.items():
                await self._consume_partition(consumer, partition, records)

    async def _consume_partition(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, records: list[Record]
    ) -> None:
        # Stop between records: what was fetched but not handled is not committed, so the
        # group's next member receives it.
        for record in records:
            if self._stopping.is_set():
                return
            await self._process(record)
            await consumer.commit({partition: record.offset + 1})
            self._record_lag(consumer, partition, next_offset=record.offset + 1)

    async def _process(self, record: Record) -> None:
        log = logger.bind(topic=record.topic, partition=record.partition, offset=record.offset)
        try:
            envelope = decode_envelope(_event_type(record), record.value or b"")
        except EventDecodeError as error:
            log.warning("undecodable record", error=str(error))
            await self._dead_letter(record, error, attempts=0)
            return
        context = correlation_of(envelope)
        with (
            self._span(record),
            correlation_scope(context),
            structlog.contextvars.bound_contextvars(
                topic=record.topic, partition=record.partition, offset=record.offset
            ),
        ):
            await self._handle_with_retries(record, envelope)

    def _span(self, record: Record) -> contextlib.AbstractContextManager[None]:
        """The handler's CONSUMER span continues the trace the event was written in (the
        `traceparent` header, which the relay copies from the stored envelope)."""
        return consumer_span(
            self.tracer_provider,
            record.topic,
            record.headers,
            {
                "messaging.kafka.message.offset": record.offset,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.consumer.group.name": self.group_id,
            },
        )

    async def _handle_with_retries(self, record: Record, envelope: EventEnvelope[Any]) -> None:
        attempt = 0
        while True:
            try:
                await self._run_handler(record, envelope)
            except EventInFlightError:
                # Another delivery of this event is running: wait for its outcome, which is not
                # a failure of this attempt.
                await asyncio.sleep(self.retry.in_flight_wait_seconds)
                continue
            except Exception as error:  # any handler failure is retried, then dead-lettered
                attempt += 1
                if await self._gave_up(record, error, attempt):
                    return
                continue
            self.metrics.consumed.labels(record.topic).inc()
            return

    async def _run_handler(self, record: Record, envelope: EventEnvelope[Any]) -> None:
        await self.handlers[record.topic](envelope)

    async def _gave_up(self, record: Record, error: Exception, attempt: int) -> bool:
        self.metrics.failed.labels(record.topic).inc()
        logger.warning("handler failed", attempt=attempt, exc_info=error)
        if attempt >= self.retry.max_attempts:
            await self._dead_letter(record, error, attempts=attempt)
            return True
        await asyncio.sleep(self.retry.delay(attempt))
        return False

    async def _dead_letter(self, record: Record, error: BaseException, attempts: int) -> None:
        headers = [*(record.headers or ()), *_error_headers(record, error, attempts)]
        message = OutgoingMessage(
            record.topic + DLQ_SUFFIX, record.value or b"", record.key, headers
        )
        failures = await self.dead_letter_bus.send_batch([message])
        if failures[0] is not None:
            raise failures[0]  # not committed: the record is redelivered, never lost
        self.metrics.dead_lettered.labels(record.topic).inc()

    def _record_lag(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, next_offset: int
    ) -> None:
        highwater = consumer.highwater(partition)
        if highwater is not None:
            lag = self.metrics.lag.labels(partition.topic, str(partition.partition))
            lag.set(max(0, highwater - next_offset))

    async def _ensure_dead_letter_topics(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        await admin.start()
        try:
            for topic in self.handlers:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics([NewTopic(topic + DLQ_SUFFIX, 1, 1)])
        finally:
            await admin.close()


def _event_type(record: Record) -> str:
    """The registry topic: the `event_type` header (set by KafkaBus), else the record's topic."""
    return header_value(record.headers, "event_type") or record.topic


def _error_headers(record: Record, error: BaseException, attempts: int) -> list[tuple[str, bytes]]:
    return [
        ("dlq_error", f"{type(error).__name__}: {error}"[:1000].encode()),
        ("dlq_attempts", str(attempts).encode()),
        ("dlq_original_topic", record.topic.encode()),
        ("dlq_original_partition", str(record.partition).encode()),
        ("dlq_original_offset", str(record.offset).encode()),
    ]
