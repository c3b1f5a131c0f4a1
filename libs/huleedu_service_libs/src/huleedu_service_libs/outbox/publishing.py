"""Sending a batch to Kafka, with an error (or None) for every message, in order.

A failure is charged only to the message that caused it. When the batch call raises (a message
the client refuses outright), or an error comes back shared by several messages (one record
batch, refused as a whole by the broker), those messages are sent again in halves until each
error belongs to a single message. A message the batch's deadline left no time for gets
NotAttemptedError: the relay counts no attempt against it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from huleedu_service_libs.kafka.bus import TopicUnavailableError
from huleedu_service_libs.kafka.messages import OutgoingMessage

Results = list[BaseException | None]


class Publisher(Protocol):
    """KafkaBus in services; recording and failing doubles in tests (fault injection)."""

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> Results: ...


class PublishTimeoutError(Exception):
    pass


class HeldBackError(Exception):
    """Not sent, because an earlier message of the same key failed."""


class NotAttemptedError(Exception):
    """Not sent: the batch's deadline passed while another message's failure was isolated."""


async def publish_batch(
    publisher: Publisher, messages: Sequence[OutgoingMessage], timeout: float
) -> Results:
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        async with asyncio.timeout_at(deadline):
            results = await publisher.send_batch(messages)
    except TimeoutError:
        return [PublishTimeoutError(f"no acknowledgement within {timeout} s")] * len(messages)
    except Exception as error:
        # The batch call itself raised (e.g. a message the client refuses outright).
        isolation = _Isolation(publisher, messages, deadline, [None] * len(messages))
        await isolation.settle(list(range(len(messages))), [error] * len(messages))
        return isolation.results
    isolation = _Isolation(publisher, messages, deadline, list(results))
    await isolation.resolve()
    return isolation.results


@dataclass
class _Isolation:
    publisher: Publisher
    messages: Sequence[OutgoingMessage]
    deadline: float
    results: Results
    # The first position at which each key failed: its later messages are held back.
    failed_keys: dict[bytes, int] = field(default_factory=dict)

    async def resolve(self) -> None:
        """Re-sends, in halves, the messages whose error may not be their own."""
        suspects = _shared_failures(self.results)
        for index, error in enumerate(self.results):
            if error is not None and index not in suspects:
                self._failed(index, error)
        if suspects:
            await self.send(sorted(suspects))

    async def send(self, indices: list[int]) -> None:
        sendable = [index for index in indices if not self._held_back(index)]
        if not sendable:
            return
        if asyncio.get_running_loop().time() >= self.deadline:
            for index in sendable:
                self.results[index] = NotAttemptedError("the batch's deadline passed first")
            return
        try:
            async with asyncio.timeout_at(self.deadline):
                sent = await self.publisher.send_batch([self.messages[i] for i in sendable])
        except TimeoutError:
            self._timed_out(sendable)
            return
        except Exception as error:
            sent = [error] * len(sendable)
        await self.settle(sendable, sent)

    async def settle(self, sendable: list[int], sent: Results) -> None:
        if len(sendable) == 1:
            self.results[sendable[0]] = sent[0]
            if sent[0] is not None:
                self._failed(sendable[0], sent[0])
            return
        shared = _shared_failures(dict(zip(sendable, sent, strict=True)))
        for index, error in zip(sendable, sent, strict=True):
            if index not in shared:
                self.results[index] = error
                if error is not None:
                    self._failed(index, error)
        retry = [index for index in sendable if index in shared]
        if retry:
            half = max(1, len(retry) // 2)
            await self.send(retry[:half])
            await self.send(retry[half:])

    def _timed_out(self, sendable: list[int]) -> None:
        """Alone on the wire, the timeout is the message's own; with others, it is not known."""
        for index in sendable:
            self.results[index] = (
                PublishTimeoutError("no acknowledgement before the batch's deadline")
                if len(sendable) == 1
                else NotAttemptedError("no acknowledgement before the batch's deadline")
            )
        if len(sendable) == 1:
            self._failed(sendable[0], self.results[sendable[0]])

    def _held_back(self, index: int) -> bool:
        key = self.messages[index].key
        if key is not None and self.failed_keys.get(key, index) < index:
            self.results[index] = HeldBackError("an earlier event of the same key failed")
            return True
        return False

    def _failed(self, index: int, error: BaseException | None) -> None:
        key = self.messages[index].key
        if error is not None and key is not None:
            self.failed_keys[key] = min(index, self.failed_keys.get(key, index))


def _shared_failures(results: Results | dict[int, BaseException | None]) -> set[int]:
    """Positions whose error object is shared with another message (or not known at all); a
    topic the broker refuses is every one of its messages' own error."""
    items = results.items() if isinstance(results, dict) else enumerate(results)
    by_error: dict[int, list[int]] = defaultdict(list)
    for index, error in items:
        if error is not None and not isinstance(error, TopicUnavailableError):
            by_error[id(error)].append(index)
    return {index for group in by_error.values() if len(group) > 1 for index in group}
