"""The platform takes a terminal out of service through the heartbeat, and staff can too."""

from __future__ import annotations

from pathlib import Path

from kiosk.platform.heartbeat import HeartbeatWorker
from kiosk.screens.home import HomeScreen
from kiosk.screens.out_of_service import OutOfServiceScreen
from kiosk.screens.staff import StaffScreen
from tests.conftest import MakeApp, config_for, wait_until


async def test_platform_lock_and_unlock_reach_the_screen(tmp_path: Path, make_app: MakeApp) -> None:
    app = make_app(config_for(tmp_path))
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.services.heartbeat is not None)
        # the background worker's first beat is done; it beats again only in a minute
        await wait_until(pilot, lambda: app.services.heartbeat.last_ok_at is not None)
        storage = app.services._embedded.server.storage
        heartbeat = HeartbeatWorker(app.services, app.services.platform, 3600)  # beats on demand
        await pilot.click("#lang-zh-Hans")  # a resident is at the screen
        assert app.session is not None

        storage.queue_command(app.config.terminal.id, "lock")
        assert heartbeat.beat() == ["lock"]
        app.refresh_status()
        await pilot.pause()
        assert isinstance(app.screen, OutOfServiceScreen) and app.session is None
        assert heartbeat.beat() == []  # acknowledged: not carried out twice

        storage.queue_command(app.config.terminal.id, "unlock")
        assert heartbeat.beat() == ["unlock"]
        app.refresh_status()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_staff_take_the_terminal_out_of_service_and_back(
    tmp_path: Path, make_app: MakeApp
) -> None:
    app = make_app(config_for(tmp_path), start_services=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await app.push_screen(StaffScreen())
        await pilot.click("#staff-lock")
        assert app.services.locked
        app.refresh_status()
        await pilot.pause()
        assert isinstance(app.screen, StaffScreen)  # staff keep working while it is locked
        await pilot.click("#chrome-home")
        app.refresh_status()
        await pilot.pause()
        assert isinstance(app.screen, OutOfServiceScreen)
        app.services.set_locked(False, "staff")
        app.refresh_status()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
