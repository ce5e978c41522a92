"""Shared by the console tests: a platform with quick alert thresholds, operator accounts,
a logged-in HTTP client and a terminal that sends real signed heartbeats."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.server.console.settings import ConsoleSettings
from kiosk.platform.signing import Ed25519Signer, public_key_b64

OPERATOR = ("op-wang", "operator-pass-1")
AUDITOR = ("au-li", "auditor-pass-1")


def start_platform(tmp: Path, offline_after_s: float = 300.0) -> EmbeddedPlatform:
    settings = ConsoleSettings(offline_after_s=offline_after_s, sweep_every_s=0.0)
    platform = EmbeddedPlatform(tmp, console=settings)
    platform.start()
    assert platform.server is not None
    accounts = platform.server.console.accounts
    accounts.add(OPERATOR[0], OPERATOR[1], "operator")
    accounts.add(AUDITOR[0], AUDITOR[1], "auditor")
    return platform


def terminal(platform: EmbeddedPlatform, terminal_id: str) -> PlatformClient:
    assert platform.server is not None
    key = Ed25519PrivateKey.generate()  # enrolled as the platform keeps it: public key only
    platform.server.storage.enroll(terminal_id, public_key_b64(key.public_key()))
    return PlatformClient(platform.base_url, terminal_id, Ed25519Signer(key), timeout=5)


@contextmanager
def login(platform: EmbeddedPlatform, who: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.base_url, timeout=10, follow_redirects=True) as http:
        reply = http.post("/console/login", data={"username": who[0], "password": who[1]})
        assert reply.status_code == 200 and "终端一览" in reply.text, reply.text[:300]
        yield http


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)
