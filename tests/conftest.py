"""Fixtures shared by the app tests. Area helpers keep their own in tests/<area>_*.py."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from kiosk.config import KioskConfig, load_config

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.devices.a4printer.cupsd import PrivateCupsd
    from kiosk.platform.embedded import EmbeddedPlatform

DEVICES = ("idcard", "smartcard", "printer", "camera", "a4printer", "doccam")
FACE = {"KIOSK_DEVICES__CAMERA__EMULATED_SCENE": "face"}  # a drawn face, no real person


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


def config_for(tmp_path: Path, *, on: Iterable[str] = (), **env: str) -> KioskConfig:
    """Embedded defaults with data under tmp_path: the DEVICES in `on` emulated, the others
    off (an app test starts only what it uses), then `env` (KIOSK_... settings) on top."""
    assert set(on) <= set(DEVICES), on
    off = {f"KIOSK_DEVICES__{d.upper()}__MODE": "off" for d in DEVICES if d not in on}
    return load_config(environ={"KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"), **off, **env})


@pytest.fixture
def kiosk_config(tmp_path: Path) -> KioskConfig:
    """Every device off (app-only tests)."""
    return config_for(tmp_path)


class MakeApp(Protocol):
    def __call__(self, config: KioskConfig, *, start_services: bool = True) -> KioskApp: ...


@pytest.fixture
async def make_app(clock: FakeClock) -> AsyncIterator[MakeApp]:
    """KioskApp(config) on the test's clock; its services are stopped after the test."""
    from kiosk.app import KioskApp

    made: list[KioskApp] = []

    def make(config: KioskConfig, *, start_services: bool = True) -> KioskApp:
        made.append(KioskApp(config, clock=clock, start_services=start_services))
        return made[-1]

    yield make
    for app in made:
        app.services.stop()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPlatform]:
    """The reference platform server with its demo data on 127.0.0.1, one per test module."""
    from kiosk.platform.embedded import EmbeddedPlatform

    with EmbeddedPlatform(tmp_path_factory.mktemp("platform")) as p:
        yield p


@pytest.fixture
def no_faults_left(platform: EmbeddedPlatform) -> Iterator[None]:
    """The module's platform without injected faults before and after the test."""
    platform.faults.clear()
    yield
    platform.faults.clear()


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


@pytest.fixture(scope="module")
def cupsd(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[PrivateCupsd]:
    """A private cupsd with a cups-pdf queue, one per test module (the A4 printer's peer)."""
    from kiosk.devices.a4printer.cupsd import PrivateCupsd, missing_parts

    missing = missing_parts()
    assert not missing, f"the A4 printer tests need {missing} (scripts/setup.sh)"
    module = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    daemon = PrivateCupsd(tmp_path_factory.mktemp("cupsd"), f"kiosk-{module}-{os.getpid()}")
    daemon.start()
    yield daemon
    daemon.stop()
