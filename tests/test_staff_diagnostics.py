"""Staff enter with a PIN on the on-screen keypad; the diagnostics screen shows every device
live, runs self-tests and previews the camera."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.screens.diagnostics import DiagnosticsScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.staff import StaffPinScreen, StaffScreen
from tests.conftest import FakeClock, MakeApp, config_for, tap, wait_until


async def enter_pin(pilot, pin: str) -> None:  # type: ignore[no-untyped-def]
    for digit in pin:
        await pilot.click(f"#pin-{digit}")
    await pilot.pause()
    # every tap counts, repeated digits too
    assert str(pilot.app.screen.query_one("#pin-dots").render()) == "●" * len(pin)
    await pilot.click("#pin-ok")
    await pilot.pause()


@pytest.fixture
def config(tmp_path: Path) -> KioskConfig:
    return config_for(tmp_path, on=("idcard", "camera", "a4printer", "doccam"))


async def test_hidden_taps_and_wrong_pin_keep_staff_mode_closed(
    config: KioskConfig, clock: FakeClock
) -> None:
    app = KioskApp(config, clock=clock, start_services=False)
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(4):
            await pilot.click("#terminal-name")
        assert not isinstance(app.screen, StaffPinScreen)  # four taps are not enough
        clock.advance(5)
        for _ in range(5):
            await pilot.click("#terminal-name")
        await pilot.pause()
        assert isinstance(app.screen, StaffPinScreen)
        await enter_pin(pilot, "1111")
        assert "不正确" in str(app.screen.query_one("#pin-dots").render())
        await enter_pin(pilot, "0000")
        await enter_pin(pilot, "9999")
        assert isinstance(app.screen, HomeScreen)  # three wrong PINs close the pad
        # ...and reopening it at once does not give three fresh tries: it stays locked
        clock.advance(5)
        for _ in range(5):
            await pilot.click("#terminal-name")
        await pilot.pause()
        assert not isinstance(app.screen, StaffPinScreen)
        clock.advance(app.PIN_LOCK_S + 1)  # after the lock, the pad opens again
        for _ in range(5):
            await pilot.click("#terminal-name")
        await pilot.pause()
        assert isinstance(app.screen, StaffPinScreen)


async def test_staff_pin_opens_live_diagnostics_with_camera_preview(
    config: KioskConfig, make_app: MakeApp
) -> None:
    app = make_app(config)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.services.wait_started(0))
        for _ in range(5):
            await pilot.click("#terminal-name")
        await pilot.pause()
        await enter_pin(pilot, "2468")  # the demo PIN from config/kiosk.toml
        assert isinstance(app.screen, StaffScreen)
        await tap(pilot, "#staff-diag")
        await wait_until(pilot, lambda: isinstance(app.screen, DiagnosticsScreen))
        screen = app.screen
        camera = app.services.device("camera")
        await wait_until(pilot, lambda: camera.health().healthy)
        await wait_until(pilot, lambda: "▀" in str(screen.query_one("#diag-preview").render()))
        table = screen.query_one("#diag-table")
        rows = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert {"idcard", "camera", "outbox"} <= rows
        await pilot.click("#selftest-idcard")
        await wait_until(pilot, lambda: "PASS" in str(screen.query_one("#diag-result").render()))
