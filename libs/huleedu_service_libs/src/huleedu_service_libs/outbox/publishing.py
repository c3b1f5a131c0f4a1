"""Sending a batch to Kafka, with an error (or None) for every message, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from huleedu_service_libs.kafka.messages import OutgoingMessage


class Publisher(Protocol):
    """KafkaBus in services; recording and failing doubles in tests (fault injection)."""

    async def send_batch(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[BaseException | None]: ...


class PublishTimeoutError(Exception):
    pass


class HeldBackError(Exception):
    """Not sent, because an earlier message of the same key failed."""


async def publish_batch(
    publisher: Publisher, messages: Sequence[OutgoingMessage], timeout: float
) -> list[BaseException | None]:
    try:
        async with asyncio.timeout(timeout):
            return await publisher.send_batch(messages)
    except TimeoutError:
        return [PublishTimeoutError(f"no acknowledgement within {timeout} s")] * len(messages)
    except Exception:
        # The batch call itself raised (e.g. a message the client refuses outright): find out
        # which message it was by sending them one at a time.
        return await _one_at_a_time(publisher, messages, timeout)


async def _one_at_a_time(
    publisher: Publisher, messages: Sequence[OutgoingMessage], timeout: float
) -> list[BaseException | None]:
    deadline = asyncio.get_running_loop().time() + timeout
    results: list[BaseException | None] = []
    failed_keys: set[bytes] = set()
    for message in messages:
        if message.key is not None and message.key in failed_keys:
            results.append(HeldBackError("an earlier event of the same key failed"))
            continue
        error = await _send_one(publisher, message, deadline)
        if error is not None and message.key is not None:
            failed_keys.add(message.key)
        results.append(error)
    return results


async def _send_one(
    publisher: Publisher, message: OutgoingMessage, deadline: float
) -> BaseException | None:
    try:
        async with asyncio.timeout_at(deadline):
            return (await publisher.send_batch([message]))[0]
    except TimeoutError:
        return PublishTimeoutError("no acknowledgement before the batch's deadline")
    except Exception as error:
        return error
