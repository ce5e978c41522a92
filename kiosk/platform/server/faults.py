"""Misbehaviour modes of the reference server, for tests and demos of the terminal's resilience.

Modes (each with a probability, or for the next N matching requests):
- latency: wait `seconds` before handling (combines with the others)
- error: answer `status` (default 503) without handling the request
- rate_limit: answer 429 with Retry-After: `seconds`, without handling the request
- drop: handle the request, then close the socket mid-response (a lost acknowledgement)
- malformed: handle the request, then answer a body that is not JSON
- schema: handle the request, then answer valid JSON that violates the API document

Set at start (`kiosk platform serve --fault drop:n=2`), at runtime through the loopback-only
admin endpoint (POST /_admin/faults) or in-process with `server.faults.add(Fault(...))`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Mode = Literal["latency", "error", "rate_limit", "drop", "malformed", "schema"]
MODES: tuple[Mode, ...] = ("latency", "error", "rate_limit", "drop", "malformed", "schema")
_ALIASES: dict[str, Mode] = {"5xx": "error", "429": "rate_limit", "bad_json": "malformed"}
EXEMPT_PATHS = ("/v1/openapi.json",)


def mode_named(name: str) -> Mode:
    """A fault mode by its name or alias ('5xx', '429', 'bad_json')."""
    name = _ALIASES.get(name, name)
    for mode in MODES:
        if mode == name:
            return mode
    raise ValueError(f"unknown fault mode {name!r}; known: {', '.join(MODES)}")


class DroppedConnection(Exception):
    """Raised inside the ASGI app after the response started: uvicorn then closes the socket."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


@dataclass
class Fault:
    mode: Mode
    probability: float = 1.0
    count: int | None = None  # only the next N matching requests; None: until cleared
    seconds: float = 1.0  # latency, or the Retry-After value
    status: int = 503
    path_prefix: str = "/v1/"

    def __post_init__(self) -> None:
        self.mode = mode_named(self.mode)  # an alias given as the mode, e.g. from JSON
        if not 0 <= self.probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0")
        if not 0 <= self.seconds <= 600:
            raise ValueError("seconds must be between 0 and 600")
        if self.mode == "error" and not 500 <= self.status <= 599:
            raise ValueError("error status must be 5xx")

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """'drop:n=2', '5xx:p=0.2,status=502', '429:seconds=3', 'latency:seconds=0.5,path=/v1/catalog'."""
        mode, _, rest = spec.partition(":")
        kwargs: dict[str, Any] = {}
        names = {"p": "probability", "n": "count", "path": "path_prefix"}
        for part in filter(None, rest.split(",")):
            name, sep, value = part.partition("=")
            name = names.get(name.strip(), name.strip())
            if not sep or name not in ("probability", "count", "seconds", "status", "path_prefix"):
                raise ValueError(f"bad fault option {part!r} in {spec!r}")
            caster = {"count": int, "status": int, "path_prefix": str}.get(name, float)
            try:
                kwargs[name] = caster(value.strip())
            except ValueError:
                raise ValueError(f"bad value for {name} in {spec!r}") from None
        return cls(mode=mode_named(mode.strip()), **kwargs)

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise ValueError("a fault is a JSON object")
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        return cls(**data)


@dataclass
class FaultInjector:
    faults: list[Fault] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self.faults]

    def draw(self, path: str) -> tuple[float, Fault | None]:
        """Latency to add and the one fault (if any) this request gets."""
        if path in EXEMPT_PATHS:
            return 0.0, None
        latency, chosen = 0.0, None
        with self._lock:
            for fault in list(self.faults):
                if not path.startswith(fault.path_prefix):
                    continue
                if fault.mode != "latency" and chosen is not None:
                    continue
                if self.rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                if fault.mode == "latency":
                    latency += fault.seconds
                else:
                    chosen = fault
        return latency, chosen


class FaultMiddleware:
    """ASGI middleware applying the injector's faults to HTTP requests."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.injector.faults:
            await self.app(scope, receive, send)
            return
        latency, fault = self.injector.draw(scope["path"])
        if latency:
            await asyncio.sleep(latency)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.mode == "error":
            await _send_json(send, fault.status, {"error": "injected_fault", "reason": "test"})
        elif fault.mode == "rate_limit":
            retry = [(b"retry-after", str(max(0, round(fault.seconds))).encode())]
            await _send_json(send, 429, {"error": "rate_limited", "reason": "test"}, retry)
        else:
            await self._after(fault, scope, receive, send)

    async def _after(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the app handle the request, then spoil the response it produced."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if fault.mode == "drop":
            # Promise more bytes than are sent, then abort: the client sees a broken transfer.
            length = str(len(body) + 64).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [*headers, (b"content-length", length)]})  # fmt: skip
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            raise DroppedConnection("fault: connection dropped mid-response")
        spoiled = (
            b'{"results": [{"key": ' if fault.mode == "malformed" else b'{"unexpected": [1, 2]}'
        )
        headers = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"etag")]
        await send({"type": "http.response.start", "status": 200, "headers": [
            *headers, (b"content-type", b"application/json"),
            (b"content-length", str(len(spoiled)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": spoiled})


async def _send_json(
    send: Send, status: int, data: dict[str, str], extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(data).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})
