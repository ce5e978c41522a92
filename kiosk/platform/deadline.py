"""An overall deadline per HTTP request, on top of httpx's per-read timeouts.

httpx bounds each socket read, not the request: a peer that trickles one byte every few
seconds keeps a request (and the sync thread's send lock) for as long as it likes. Here every
read and write of a connection is bounded by what is left of the calling thread's deadline,
so the whole exchange ends by the deadline plus one short read at most.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
import typing
from collections.abc import Iterator

import httpcore
import httpx


class DeadlinePassed(httpcore.ReadTimeout):
    """The request's overall deadline passed (httpx maps it to httpx.ReadTimeout)."""


class _Deadlines(threading.local):
    at: float | None = None


def _bounded(deadlines: _Deadlines, timeout: float | None) -> float | None:
    at = deadlines.at
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise DeadlinePassed("request deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadlines: _Deadlines) -> None:
        self._inner = inner
        self._deadlines = deadlines

    def _bound(self, timeout: float | None) -> float | None:
        return _bounded(self._deadlines, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._bound(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._bound(timeout))
        return _Stream(inner, self._deadlines)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.SyncBackend):
    def __init__(self, deadlines: _Deadlines) -> None:
        self._deadlines = deadlines

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(self._deadlines, timeout)
        stream = super().connect_tcp(host, port, bounded, local_address, socket_options)
        return _Stream(stream, self._deadlines)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport whose connections honour `with transport.deadline(s): ...`."""

    def __init__(self, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify)
        self._deadlines = _Deadlines()
        ctx = verify if isinstance(verify, ssl.SSLContext) else None
        # Same pool httpx builds, with a network backend that knows the deadline.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ctx or httpx.create_ssl_context(verify=verify),
            max_connections=httpx.Limits().max_connections,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_Backend(self._deadlines),
        )

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        self._deadlines.at = time.monotonic() + seconds
        try:
            yield
        finally:
            self._deadlines.at = None
