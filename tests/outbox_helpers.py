"""Shared helpers for the outbox tests: synthetic residents, keys, a batch sink on loopback.

The sink is a real HTTP server (stdlib http.server on 127.0.0.1, ephemeral port) that speaks
POST /v1/outbox/batch per /tmp/platform-contract.md, dedupes by key forever, and can inject
faults (5xx, 429 with Retry-After, dropped connections, malformed bodies, latency, and
"commit then drop the answer"). It counts how often it stored each key.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from kiosk.offline.crypto import generate_keypair
from kiosk.platform.errors import (
    PlatformAuthError,
    PlatformBadResponse,
    PlatformRejected,
    PlatformUnavailable,
)

# Synthetic resident (invented; check digit valid per GB 11643).
FAKE_NAME = "欧阳测试"
_ID17 = "11010519900307123"


def id_check_digit(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


FAKE_ID = _ID17 + id_check_digit(_ID17)


def keypair(tmp: Path):
    return generate_keypair(tmp / "platform_x25519.key", tmp / "platform_x25519.pub")


@dataclass
class Sink:
    """State of the loopback platform sink; tests set `faults` and read the counters."""

    stored: dict[str, str] = field(default_factory=dict)  # key -> reference (first acceptance)
    store_count: Counter = field(default_factory=Counter)  # how often each key was stored
    received: Counter = field(default_factory=Counter)  # how often each key arrived
    attempts_seen: dict[str, list[int]] = field(default_factory=dict)
    order: list[tuple[str, int]] = field(default_factory=list)  # (stream, seq) in store order
    reject: set[str] = field(default_factory=set)  # keys answered "rejected"
    malformed: set[str] = field(default_factory=set)  # a batch holding one of these gets 422
    faults: list[str] = field(default_factory=list)  # consumed one per request
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def accept(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        for item in items:
            key = item["key"]
            self.received[key] += 1
            self.attempts_seen.setdefault(key, []).append(item.get("attempt", 0))
            if key in self.reject:
                results.append(
                    {
                        "key": key,
                        "status": "rejected",
                        "reason": "invalid_form",
                        "first_seen_at": "2026-01-01T00:00:00Z",
                    }
                )
                continue
            if key in self.stored:
                results.append(
                    {
                        "key": key,
                        "status": "duplicate",
                        "reference": self.stored[key],
                        "first_seen_at": "2026-01-01T00:00:00Z",
                    }
                )
                continue
            reference = f"ZW{len(self.stored) + 1:012d}"
            self.stored[key] = reference
            self.store_count[key] += 1
            self.order.append((item["stream"], item["seq"]))
            results.append(
                {
                    "key": key,
                    "status": "accepted",
                    "reference": reference,
                    "first_seen_at": "2026-01-01T00:00:00Z",
                }
            )
        return results


class _Handler(BaseHTTPRequestHandler):
    sink: Sink
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        sink = self.sink
        with sink.lock:
            sink.requests += 1
            fault = sink.faults.pop(0) if sink.faults else ""
        if fault.startswith("latency:"):
            time.sleep(float(fault.split(":")[1]))
            fault = ""
        if fault == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if fault.startswith(("500", "503", "429", "408")):
            status, _, retry = fault.partition(":")
            headers = {"Retry-After": retry} if retry else {}
            self._reply(int(status), b'{"error":"unavailable"}', headers)
            return
        if fault == "malformed":
            self._reply(200, b'{"results": [ {"key": 12,')
            return
        if self.path != "/v1/outbox/batch":
            self._reply(404, b'{"error":"not_found"}')
            return
        try:
            items = json.loads(raw)["items"]
        except (ValueError, KeyError):
            self._reply(400, b'{"error":"invalid_request"}')
            return
        with sink.lock:
            if any(item.get("key") in sink.malformed for item in items):
                self._reply(422, b'{"error":"invalid_request","reason":"item does not validate"}')
                return
            results = sink.accept(items)
        if fault == "commit-then-drop":  # stored, but the answer never reaches the terminal
            self.close_connection = True
            self.connection.close()
            return
        self._reply(200, json.dumps({"results": results}).encode())


@contextmanager
def running_sink() -> Iterator[Sink]:
    sink = Sink()
    handler = type("Handler", (_Handler,), {"sink": sink})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class SinkClient:
    """The batch part of the platform client contract (errors from kiosk.platform.errors)."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def submit_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            resp = self._http.post("/v1/outbox/batch", json={"items": items})
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(f"network: {type(exc).__name__}") from exc
        if resp.status_code in (408, 429) or resp.status_code >= 500:
            retry = resp.headers.get("Retry-After")
            raise PlatformUnavailable(
                f"HTTP {resp.status_code}", float(retry) if retry else None, resp.status_code
            )
        if resp.status_code == 401:
            raise PlatformAuthError("bad_signature")
        if resp.status_code >= 400:
            raise PlatformRejected(resp.status_code, resp.json().get("error", "?"))
        try:
            results = resp.json()["results"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PlatformBadResponse("batch answer is not JSON with results") from exc
        if len(results) != len(items):
            raise PlatformBadResponse("wrong number of results")
        return results

    def close(self) -> None:
        self._http.close()


class FakeClock:
    """Injected clock: backoff is inspected, never slept through."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def seeded_rng() -> random.Random:
    return random.Random(1234)
