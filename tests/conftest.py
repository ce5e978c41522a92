"""Fixtures shared by the app tests. Area helpers keep their own in tests/<area>_*.py."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
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


async def tap(pilot: Any, selector: str) -> None:
    """Touch a button once it can really take a touch: shown and laid out, enabled, and
    past the double-tap guard of the last touch."""
    button = pilot.app.screen.query_one(selector)

    def ready() -> bool:  # laid out on screen (a button just shown has no region yet)
        return (
            button.display and button.region.area > 0
            and not button.disabled and not button.has_class("-active")
        )  # fmt: skip

    await wait_until(pilot, ready)
    await pilot.click(selector)


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
        "KIOSK_DEVICES__A4PRINTER__MODE": "off",
        "KIOSK_DEVICES__DOCCAM__MODE": "off",
    }
    return load_config(environ=env)


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB tmpfs: the disk really fills up (we run as root in CI)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"cannot mount a tmpfs for the disk-full test: {done.stderr}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)
