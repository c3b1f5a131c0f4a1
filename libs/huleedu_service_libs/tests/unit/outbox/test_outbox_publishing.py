"""Publishing a batch: a result per message, timeouts, and isolating a message that raises."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from huleedu_service_libs.kafka import OutgoingMessage
from huleedu_service_libs.outbox.publishing import (
    HeldBackError,
    PublishTimeoutError,
    publish_batch,
)


class RefusingBroker:
    """Raises for a refused message (as a client-side size check does), keeps what it took."""

    def __init__(self, refused: set[bytes]) -> None:
        self.refused = refused
        self.accepted: list[bytes] = []

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        for message in messages:
            if message.value in self.refused:
                raise ValueError(f"refused {message.value!r}")
            self.accepted.append(message.value)
        return [None] * len(messages)


class SilentBroker:
    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        await asyncio.sleep(3600)
        return []


def message(value: str, key: str) -> OutgoingMessage:
    return OutgoingMessage("topic", value.encode(), key.encode())


async def test_a_message_that_raises_is_isolated_and_holds_back_only_its_key() -> None:
    broker = RefusingBroker({b"a1"})
    batch = [message("b1", "b"), message("a1", "a"), message("a2", "a"), message("b2", "b")]

    results = await publish_batch(broker, batch, timeout=5)

    assert [type(result).__name__ for result in results] == [
        "NoneType",
        "ValueError",
        "HeldBackError",
        "NoneType",
    ]
    assert isinstance(results[2], HeldBackError)
    # b1 went out before the batch call raised, and again one at a time: a duplicate
    assert broker.accepted == [b"b1", b"b1", b"b2"]


async def test_no_acknowledgement_in_time_fails_every_message_of_the_batch() -> None:
    results = await publish_batch(SilentBroker(), [message("a1", "a"), message("b1", "b")], 0.05)
    assert [type(result) for result in results] == [PublishTimeoutError, PublishTimeoutError]


async def test_a_healthy_batch_reports_no_errors() -> None:
    broker = RefusingBroker(set())
    assert await publish_batch(broker, [message("a1", "a")], timeout=5) == [None]
