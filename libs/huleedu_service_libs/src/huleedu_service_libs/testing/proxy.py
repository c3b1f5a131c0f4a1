"""A TCP forwarding proxy, so a test can take a shared server away from one app only.

The app under test is given the proxy's URL instead of the server's. `stop()` makes the server
look down (new connections refused, open ones reset), `cut()` resets the open connections but
keeps accepting (a restart or a network blip), `start()` brings it back on the same port. Other
tests keep using the real server untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

from huleedu_service_libs.testing.processes import free_port

_HOST = "127.0.0.1"
_CHUNK = 65536
_Connection = tuple[asyncio.StreamWriter, asyncio.StreamWriter]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._open: set[_Connection] = set()
        self._forwarding: set[asyncio.Task[None]] = set()

    @classmethod
    def in_front_of(cls, url: str) -> TcpProxy:
        """A proxy to the host and port of `url` (any scheme, or a bare `host:port`)."""
        parts = urlsplit(url if "://" in url else f"tcp://{url}")
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"no host and port in {url!r}")
        return cls(parts.hostname, parts.port)

    @property
    def address(self) -> str:
        return f"{_HOST}:{self.port}"

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def url(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's (credentials, path kept)."""
        parts = urlsplit(url)
        userinfo, at, _ = parts.netloc.rpartition("@")
        return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{self.address}"))

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._forward, _HOST, self.port)

    async def stop(self) -> None:
        """Refuse new connections and reset the open ones."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        await self.cut()
        await asyncio.gather(*self._forwarding, return_exceptions=True)

    async def cut(self) -> None:
        """Reset every open connection (both sides see a RST); new ones are still accepted."""
        for client, upstream in list(self._open):
            _reset(client)
            _reset(upstream)
        self._open.clear()
        await asyncio.sleep(0)  # let the forwarding tasks see the reset

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._forwarding.add(task)
        try:
            await self._forward_to_target(reader, writer)
        finally:
            self._forwarding.discard(task)

    async def _forward_to_target(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            target = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            _reset(writer)  # as the target would: the client sees its connection refused
            return
        upstream_reader, upstream_writer = target
        connection = (writer, upstream_writer)
        self._open.add(connection)
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._open.discard(connection)
            writer.close()
            upstream_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof() and not writer.is_closing():
            writer.write_eof()


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # linger 0: close sends RST, not FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
