"""The gateway's HTTP/1.1 connections to the services: pooled keep-alive asyncio streams, the
response parsed by httptools (the parser Uvicorn serves with). Not httpx: its client layer keeps
a cookie jar (a cookie one service set for one caller would go out with the next caller's
requests), and httpcore, h11 and anyio under it were the larger part of the gateway's CPU per
request (5.0 ms a GET then, with the pipelined rate limit; 1.7 ms now: benchmarks/RESULTS.md).
The merged OpenAPI document, fetched at most once a minute, still uses httpx (`Upstream.client`).

Failures are reported in the gateway's terms: `Unreachable` (refused, not connected in time, no
connection free), `TooSlow` (connected, no answer in time), `Broken` (hung up or not HTTP).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools
import httpx

from services.api_gateway_service.config import Settings

READ_SIZE = 64 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamFailure(Exception):
    pass


class Unreachable(UpstreamFailure):
    pass


class TooSlow(UpstreamFailure):
    pass


class Broken(UpstreamFailure):
    pass


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        return not (self.reader.at_eof() or self.writer.is_closing())

    def close(self) -> None:
        self.writer.close()


class _Parsed:
    """httptools' callbacks: the status and headers, then body pieces as they arrive."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.status = 0
        self.head_done = False
        self.done = False
        self.keep_alive = False
        self.pieces: list[bytes] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.pieces.append(body)

    def on_message_complete(self) -> None:
        # The parser can say so only inside its callbacks.
        self.keep_alive = self.parser.should_keep_alive()
        self.done = True


class UpstreamResponse:
    """A service's answer whose body is still to be read; `body()` once, then `aclose()`."""

    def __init__(self, pool: _Pool, connection: _Connection, parsed: _Parsed, head: bool) -> None:
        self.status_code = parsed.status
        self.headers = parsed.headers
        self._pool, self._connection, self._parsed = pool, connection, parsed
        self._parsed.done = parsed.done or head
        self._reusable = not head
        self._closed = False

    async def body(self) -> AsyncIterator[bytes]:
        parsed = self._parsed
        while True:
            if parsed.pieces:
                pieces, parsed.pieces = parsed.pieces, []
                for piece in pieces:
                    yield piece
            if parsed.done:
                return
            await self._pool.read_into(self._connection, parsed)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        keep = self._reusable and self._parsed.done and self._parsed.keep_alive
        self._pool.release(self._connection, keep)


class _Pool:
    def __init__(self, host: str, port: int, settings: Settings, slots: asyncio.Semaphore) -> None:
        self.host, self.port = host, port
        self.connect_timeout = settings.UPSTREAM_CONNECT_TIMEOUT_SECONDS
        self.timeout = settings.UPSTREAM_TIMEOUT_SECONDS
        self.idle: list[_Connection] = []
        self.slots = slots

    async def acquire(self) -> tuple[_Connection, bool]:
        """A connection and whether it was used before (a reused one may have been closed)."""
        try:
            if self.slots.locked():
                await asyncio.wait_for(self.slots.acquire(), self.connect_timeout)
            else:
                await self.slots.acquire()  # free: taken at once, without a waiting task
        except TimeoutError:
            raise Unreachable("no connection free") from None
        while self.idle:
            connection = self.idle.pop()
            if connection.usable():
                return connection, True
            connection.close()
        try:
            return await self._connect(), False
        except BaseException:
            self.slots.release()
            raise

    async def _connect(self) -> _Connection:
        try:
            opening = asyncio.open_connection(self.host, self.port)
            reader, writer = await asyncio.wait_for(opening, self.connect_timeout)
        except (OSError, TimeoutError) as error:
            raise Unreachable(f"cannot connect: {error!r}") from error
        # Without TCP_NODELAY a request waits for the service's delayed ACK.
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Connection(reader, writer)

    def release(self, connection: _Connection, keep: bool) -> None:
        if keep and connection.usable():
            self.idle.append(connection)
        else:
            connection.close()
        self.slots.release()

    async def read_into(self, connection: _Connection, parsed: _Parsed) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                data = await connection.reader.read(READ_SIZE)
        except TimeoutError:
            raise TooSlow("no answer in time") from None
        except OSError as error:
            raise Broken(f"connection lost: {error!r}") from error
        if not data:
            if parsed.head_done and not _framed(parsed.headers):
                parsed.done = True  # a body that ends with the connection
                return
            raise Broken("the service closed the connection before its answer was complete")
        try:
            parsed.parser.feed_data(data)
        except httptools.HttpParserError as error:
            raise Broken(f"not an HTTP answer: {error}") from error

    async def exchange(
        self, head: bytes, body: AsyncIterator[bytes] | None, method: str, length: int | None
    ) -> UpstreamResponse:
        connection, reused = await self.acquire()
        try:
            return await self._exchange(connection, head, body, method, length)
        except Broken:
            self.release(connection, keep=False)
            if not reused or body is not None or method not in IDEMPOTENT:
                raise
        except BaseException:
            self.release(connection, keep=False)
            raise
        # A kept-alive connection the service closed meanwhile: an idempotent request without a
        # body is safe to send once more, on a new connection (a POST might have been acted on).
        connection, _ = await self.acquire()
        try:
            return await self._exchange(connection, head, None, method, length)
        except BaseException:
            self.release(connection, keep=False)
            raise

    async def _exchange(
        self,
        connection: _Connection,
        head: bytes,
        body: AsyncIterator[bytes] | None,
        method: str,
        length: int | None,
    ) -> UpstreamResponse:
        try:
            connection.writer.write(head)
            if body is not None:
                await self._stream(connection.writer, body, length)
            async with asyncio.timeout(self.timeout):
                await connection.writer.drain()
        except TimeoutError:
            raise TooSlow("the request could not be sent in time") from None
        except OSError as error:
            raise Broken(f"connection lost: {error!r}") from error
        parsed = _Parsed()
        while not parsed.head_done:
            await self.read_into(connection, parsed)
        return UpstreamResponse(self, connection, parsed, head=method == "HEAD")

    async def _stream(
        self, writer: asyncio.StreamWriter, body: AsyncIterator[bytes], length: int | None
    ) -> None:
        """Chunked when `length` is None; else exactly `length` bytes, or the connection is
        given up (a body that disagreed with its Content-Length would desynchronise it)."""
        sent = 0
        async for chunk in body:
            sent += len(chunk)
            if length is None:
                writer.writelines((b"%x\r\n" % len(chunk), chunk, b"\r\n"))
            elif sent > length:
                raise Broken("the body is longer than its Content-Length")
            else:
                writer.write(chunk)
            async with asyncio.timeout(self.timeout):
                await writer.drain()  # backpressure: the next chunk only once this one left
        if length is None:
            writer.write(b"0\r\n\r\n")
        elif sent != length:
            raise Broken("the body is shorter than its Content-Length")

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


def _declared_length(headers: list[tuple[str, str]]) -> int | None:
    values = [value.strip() for name, value in headers if name.lower() == "content-length"]
    return int(values[0]) if len(values) == 1 and values[0].isdigit() else None


def _framed(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in headers)


class Upstream:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._slots = asyncio.Semaphore(settings.UPSTREAM_MAX_CONNECTIONS)
        self._pools: dict[str, _Pool] = {}
        timeout = httpx.Timeout(
            settings.UPSTREAM_TIMEOUT_SECONDS, connect=settings.UPSTREAM_CONNECT_TIMEOUT_SECONDS
        )
        # No redirects followed and no environment proxies: the services are answered as they are.
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)

    async def send(
        self,
        method: str,
        base_url: str,
        target: bytes,
        headers: list[tuple[str, str]],
        body: AsyncIterator[bytes] | None,
    ) -> UpstreamResponse:
        """`headers` without Host or hop-by-hop ones; a body streams as it comes, framed by the
        client's Content-Length if it sent a valid one, else chunked."""
        pool = self._pools.get(base_url) or self._pool(base_url)
        length = _declared_length(headers) if body is not None else None
        if body is not None and length is None:
            headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
            headers.append(("Transfer-Encoding", "chunked"))
        lines = [f"{method} {target.decode('latin-1')} HTTP/1.1", f"Host: {pool.host}:{pool.port}"]
        lines += [f"{name}: {value}" for name, value in headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return await pool.exchange(head, body, method, length)

    def _pool(self, base_url: str) -> _Pool:
        parts = urlsplit(base_url)
        pool = _Pool(parts.hostname or "127.0.0.1", parts.port or 80, self._settings, self._slots)
        self._pools[base_url] = pool
        return pool

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        await self.client.aclose()
