"""KafkaBus: the one producer a service process uses."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.kafka.messages import OutgoingMessage, message_for


class KafkaBusNotStartedError(RuntimeError):
    pass


class KafkaBus:
    """`acks=all`; idempotence is a setting: on for Apache Kafka, off for Tansu."""

    def __init__(
        self, bootstrap_servers: str, client_id: str, enable_idempotence: bool = True
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.enable_idempotence = enable_idempotence
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=self.enable_idempotence,
            linger_ms=5,
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, envelope: EventEnvelope[Any], key: str | None = None) -> None:
        message = message_for(envelope, key)
        await self._started().send_and_wait(
            message.topic, message.value, key=message.key, headers=message.headers
        )

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        """Send all, wait for every acknowledgement; per message its error or None, in order."""
        producer = self._started()
        futures = [await self._enqueue(producer, message) for message in messages]
        results = await asyncio.gather(*futures, return_exceptions=True)
        return [result if isinstance(result, BaseException) else None for result in results]

    @staticmethod
    async def _enqueue(producer: AIOKafkaProducer, message: OutgoingMessage) -> Any:
        return await producer.send(
            message.topic, message.value, key=message.key, headers=message.headers
        )

    def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise KafkaBusNotStartedError("KafkaBus.start() has not been awaited")
        return self._producer
