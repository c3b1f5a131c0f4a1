"""Publishing a batch: a result per message, timeouts, and isolating a message that raises."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from huleedu_service_libs.kafka import OutgoingMessage
from huleedu_service_libs.kafka.bus import TopicUnavailableError
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
    # b1 went out before each call that raised (the whole batch, then its first half), and once
    # alone: duplicates (KafkaBus itself checks sizes before it sends anything)
    assert broker.accepted == [b"b1", b"b1", b"b1", b"b2"]


class BatchRefusingBroker:
    """Refuses a whole record batch when it holds a refused message, as a broker does: every
    message of the call gets the same error object."""

    def __init__(self, refused: set[bytes], delay: float = 0.0) -> None:
        self.refused = refused
        self.delay = delay
        self.calls: list[list[bytes]] = []

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        self.calls.append([m.value for m in messages])
        await asyncio.sleep(self.delay)
        if any(m.value in self.refused for m in messages):
            error = ValueError("record batch refused")
            return [error] * len(messages)
        return [None] * len(messages)


async def test_an_error_shared_by_a_record_batch_is_charged_only_to_its_culprit() -> None:
    batch = [message(f"{key}1", key) for key in "abcdefgh"]
    results = await publish_batch(BatchRefusingBroker({b"c1"}), batch, timeout=5)
    assert [type(result).__name__ for result in results] == [
        "NoneType", "NoneType", "ValueError", *["NoneType"] * 5
    ]  # fmt: skip


async def test_messages_the_deadline_left_no_time_for_are_not_attempted() -> None:
    batch = [message(f"{key}1", key) for key in "abcdefgh"]
    broker = BatchRefusingBroker({b"c1"}, delay=0.02)
    results = await publish_batch(broker, batch, timeout=0.05)
    kinds = {type(result).__name__ for result in results}
    assert "NotAttemptedError" in kinds
    assert kinds <= {"NoneType", "NotAttemptedError", "ValueError", "PublishTimeoutError"}


class TopicRefusingBroker:
    def __init__(self) -> None:
        self.calls = 0

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        self.calls += 1
        error = TopicUnavailableError("no partitions for topic 'bad topic'")
        return [error if m.topic == "bad topic" else None for m in messages]


async def test_a_refused_topic_fails_its_own_messages_without_sending_them_again() -> None:
    broker = TopicRefusingBroker()
    batch = [OutgoingMessage("bad topic", b"x1", b"x"), OutgoingMessage("bad topic", b"y1", b"y")]
    results = await publish_batch(broker, [message("a1", "a"), *batch], timeout=5)
    assert [type(result).__name__ for result in results] == [
        "NoneType", "TopicUnavailableError", "TopicUnavailableError"
    ]  # fmt: skip
    assert broker.calls == 1


async def test_no_acknowledgement_in_time_fails_every_message_of_the_batch() -> None:
    results = await publish_batch(SilentBroker(), [message("a1", "a"), message("b1", "b")], 0.05)
    assert [type(result) for result in results] == [PublishTimeoutError, PublishTimeoutError]


async def test_a_healthy_batch_reports_no_errors() -> None:
    broker = RefusingBroker(set())
    assert await publish_batch(broker, [message("a1", "a")], timeout=5) == [None]
