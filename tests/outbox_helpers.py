"""Shared helpers for the outbox tests: synthetic residents, keys, the reference platform.

The peer is the repo's reference platform server (kiosk.platform.embedded) on loopback with
its own fault injection (5xx, 429 + Retry-After, dropped connections, malformed bodies,
latency); the tests read its database to count what it stored per key.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kiosk.offline.crypto import generate_keypair, load_public_key
from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.server.faults import Fault

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


@contextmanager
def reference_platform(data_dir: Path, faults: Iterable[Fault] = ()) -> Iterator[EmbeddedPlatform]:
    """The repo's reference platform server (uvicorn) on 127.0.0.1, ephemeral port."""
    platform = EmbeddedPlatform(data_dir, faults=faults)
    platform.start()
    try:
        yield platform
    finally:
        platform.stop()


def platform_client(platform: EmbeddedPlatform, timeout: float = 5.0, secret: str | None = None):
    return PlatformClient(
        platform.base_url, platform.terminal_id, secret or platform.terminal_secret, timeout=timeout
    )


def platform_public_key(platform: EmbeddedPlatform):
    return load_public_key(platform.public_key_path)


def stored_per_key(platform: EmbeddedPlatform) -> dict[str, int]:
    """How many rows the platform's own database holds per item key (must be 1 each)."""
    conn = sqlite3.connect(platform.data_dir / "platform.sqlite3")
    try:
        rows = conn.execute(
            "SELECT key, COUNT(*) FROM items WHERE status = 'accepted' GROUP BY key"
        )
        return dict(rows.fetchall())
    finally:
        conn.close()


def stored_order(platform: EmbeddedPlatform) -> list[tuple[str, int]]:
    """(stream, seq) in the order the platform accepted them (its references are sequential)."""
    conn = sqlite3.connect(platform.data_dir / "platform.sqlite3")
    try:
        return conn.execute(
            "SELECT stream, seq FROM items WHERE status = 'accepted' ORDER BY reference"
        ).fetchall()
    finally:
        conn.close()


class RecordingClient:
    """Wraps the real client and counts what the platform answered, for at-least-once checks."""

    def __init__(self, client: PlatformClient) -> None:
        self.client = client
        self.answers: Counter = Counter()
        self.sent_attempts: dict[str, list[int]] = {}

    def submit_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items:
            self.sent_attempts.setdefault(item["key"], []).append(item["attempt"])
        results = self.client.submit_batch(items)
        self.answers.update(r["status"] for r in results)
        return results


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
