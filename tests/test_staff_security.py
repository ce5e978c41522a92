"""Staff mode on a real terminal: the public demo PIN does not open it outside the demo, the
menu says loudly which demo secrets the terminal runs on, 退出程序 asks first and exits with
a status the service restarts, and the PIN lockout survives a restart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.demo import DEMO_PIN_HASH
from kiosk.screens.home import HomeScreen
from kiosk.screens.staff import STAFF_EXIT_STATUS, StaffPinScreen, StaffScreen, pin_matches
from tests.conftest import FakeClock, config_for, tap, wait_until
from tests.test_staff_diagnostics import enter_pin


def _config(tmp_path: Path, **env: str) -> KioskConfig:
    return config_for(tmp_path, on=("a4printer", "doccam"), **env)


REMOTE = {"KIOSK_PLATFORM__MODE": "remote", "KIOSK_PLATFORM__URL": "https://platform.invalid"}


async def _open_pad(app: KioskApp, pilot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(5)
    for _ in range(5):
        await pilot.click("#terminal-name")
    await pilot.pause()


async def test_demo_pin_does_not_open_staff_mode_outside_the_demo(tmp_path, clock: FakeClock):
    app = KioskApp(_config(tmp_path, **REMOTE), clock=clock, start_services=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await _open_pad(app, pilot, clock)
        assert isinstance(app.screen, StaffPinScreen)
        await enter_pin(pilot, "2468")
        assert isinstance(app.screen, StaffPinScreen)  # not let in
        assert "演示密码" in str(app.screen.query_one("#pin-dots").render())


async def test_an_own_pin_opens_it_and_the_demo_banner_is_loud(tmp_path, clock: FakeClock):
    done = subprocess.run([sys.executable, "-m", "kiosk", "staff", "pin-hash"], input="135790\n",
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    own_hash = done.stdout.split('"')[1]
    assert pin_matches("135790", own_hash) and own_hash != DEMO_PIN_HASH
    refused = subprocess.run([sys.executable, "-m", "kiosk", "staff", "pin-hash"], input="2468\n",
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2

    config = _config(tmp_path, KIOSK_STAFF__PIN_HASH=own_hash)  # built-in platform: the demo
    app = KioskApp(config, clock=clock, start_services=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await _open_pad(app, pilot, clock)
        await enter_pin(pilot, "135790")
        await wait_until(pilot, lambda: isinstance(app.screen, StaffScreen))
        banner = str(app.screen.query_one("#staff-demo").render())
        assert "演示模式" in banner and "私钥就在本机磁盘上" in banner
        assert "2468" not in banner  # the PIN is not the demo one any more


async def test_demo_pin_banner_on_the_demo(tmp_path, clock: FakeClock):
    app = KioskApp(_config(tmp_path), clock=clock, start_services=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await _open_pad(app, pilot, clock)
        await enter_pin(pilot, "2468")  # the demo: 2468 works, and the menu says so
        await wait_until(pilot, lambda: isinstance(app.screen, StaffScreen))
        banner = str(app.screen.query_one("#staff-demo").render())
        assert "2468" in banner and "演示模式" in banner


async def test_quit_asks_first_and_exits_with_a_status_the_service_restarts(
    tmp_path, clock: FakeClock
):
    app = KioskApp(_config(tmp_path), clock=clock, start_services=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await _open_pad(app, pilot, clock)
        await enter_pin(pilot, "2468")
        await wait_until(pilot, lambda: isinstance(app.screen, StaffScreen))
        assert not app.screen.query_one("#staff-exit-confirm").display
        await tap(pilot, "#staff-exit")  # one tap: only the question
        assert app.is_running and app.screen.query_one("#staff-exit-confirm").display
        await tap(pilot, "#staff-exit-no")
        assert app.is_running and not app.screen.query_one("#staff-exit-confirm").display
        await tap(pilot, "#staff-exit")
        await tap(pilot, "#staff-exit-yes")
        await pilot.pause()
    assert app.return_code == STAFF_EXIT_STATUS != 0  # Restart=on-failure restarts it too


async def test_pin_lockout_survives_a_restart(tmp_path, clock: FakeClock):
    config = _config(tmp_path)
    app = KioskApp(config, clock=clock, start_services=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await _open_pad(app, pilot, clock)
        for pin in ("1111", "2222", "3333"):
            await enter_pin(pilot, pin)
        assert isinstance(app.screen, HomeScreen)  # locked
    # the power is cut and the kiosk starts again (a new clock, as after a reboot)
    again = KioskApp(config, clock=FakeClock(start=5.0), start_services=False)
    async with again.run_test(size=(160, 45)) as pilot:
        for _ in range(5):
            await pilot.click("#terminal-name")
        await pilot.pause()
        assert not isinstance(again.screen, StaffPinScreen)  # still locked
    lock_file = config.terminal.data_path / "staff_pin_lockout.json"
    assert lock_file.stat().st_mode & 0o777 == 0o600


def test_demo_secrets_are_logged_and_reported_in_every_heartbeat(tmp_path, caplog):
    from kiosk.platform.embedded import EmbeddedPlatform
    from kiosk.platform.wiring import start_platform_services
    from kiosk.services import Services

    config = _config(tmp_path)  # the demo: built-in platform, demo PIN
    services = Services(config)
    try:
        with caplog.at_level("WARNING"):
            start_platform_services(services)
        assert (
            "DEMO SECRETS IN USE" in caplog.text and "private key lives on this disk" in caplog.text
        )
        services.heartbeat.beat()
        storage = services._embedded.server.storage
        beat = storage.terminal_status(config.terminal.id)["last_heartbeat"]
        assert beat["demo_secrets"] == ["builtin_platform_key", "demo_staff_pin"]
    finally:
        services.stop()
    # remote, on a demo platform, with the public demo secret: that is said too
    with EmbeddedPlatform(tmp_path / "remote", demo=True) as remote:
        config = _config(tmp_path / "t2", KIOSK_PLATFORM__MODE="remote",
                         KIOSK_PLATFORM__URL=remote.base_url)  # fmt: skip
        services = Services(config)
        try:
            start_platform_services(services)
            caplog.clear()
            with caplog.at_level("WARNING"):
                services.heartbeat.beat()
        finally:
            services.stop()
    # the platform hears it in the heartbeat and warns its operators
    assert "KIOSK-DEMO-0001 runs on demo secrets: demo_terminal_secret" in caplog.text
    assert services.platform.demo_secrets == ["demo_terminal_secret", "demo_staff_pin"]
