"""Fixtures shared by the app tests. Area helpers keep their own in tests/<area>_*.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import KioskConfig, load_config


async def wait_until(pilot: Any, condition: Callable[[], object], timeout: float = 20.0) -> None:
    """Let the app run until `condition()` holds; fail loudly after `timeout` seconds."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


class FakeClock:
    """A monotonic clock the test moves by hand, so inactivity tests never sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def kiosk_config(tmp_path: Path) -> KioskConfig:
    """Embedded defaults with data under tmp_path and every device off (app-only tests)."""
    env = {
        "KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
        "KIOSK_DEVICES__IDCARD__MODE": "off",
        "KIOSK_DEVICES__SMARTCARD__MODE": "off",
        "KIOSK_DEVICES__PRINTER__MODE": "off",
        "KIOSK_DEVICES__CAMERA__MODE": "off",
    }
    return load_config(environ=env)
