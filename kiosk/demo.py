"""The demo's well-known secrets, and how to tell when a terminal runs on one.

They are public (they are in this repository), so a terminal using any of them outside the
demo is open to anyone: the kiosk says so in the log, on the staff screen and in every
heartbeat, and refuses the demo staff PIN unless it runs the built-in (demo) platform.
"""

from __future__ import annotations

from typing import Protocol

DEMO_TERMINAL_ID = "KIOSK-DEMO-0001"
DEMO_TERMINAL_SECRET = "demo-terminal-secret-change-me"
# PBKDF2-SHA256 of the demo staff PIN 2468 (salt "kiosk-demo-salt").
DEMO_PIN_HASH = (
    "6b696f736b2d64656d6f2d73616c74:"
    "9396939adec55d0c9525fe851c5d832e1a978dc5f4351bd01d9506ba9dd84076"
)


class _Staff(Protocol):
    @property
    def pin_hash(self) -> str: ...


class _Platform(Protocol):
    @property
    def mode(self) -> str: ...
    @property
    def terminal_secret(self) -> str: ...


class _Config(Protocol):
    @property
    def staff(self) -> _Staff: ...
    @property
    def platform(self) -> _Platform: ...


def is_demo(config: _Config) -> bool:
    """The built-in platform is the demo: its private key lives on this very disk."""
    return config.platform.mode == "builtin"


def demo_secrets_in_use(config: _Config, hmac_secret: str | None = None) -> list[str]:
    """Which well-known secrets this terminal runs on (empty on a properly set-up terminal).

    `hmac_secret`: the shared secret the platform client signs with, if it signs with one.
    """
    found = []
    if config.platform.mode == "builtin":
        found.append("builtin_platform_key")
    if hmac_secret is not None and hmac_secret == DEMO_TERMINAL_SECRET:
        found.append("demo_terminal_secret")
    if config.staff.pin_hash == DEMO_PIN_HASH:
        found.append("demo_staff_pin")
    return found
