"""One broken part never takes the terminal down: it is logged and shown as degraded."""

from __future__ import annotations

import logging

import pytest
from textual.app import ComposeResult
from textual.widgets import Button

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.devices.base import (
    Device,
    DeviceEvent,
    DeviceHealth,
    DeviceState,
    EventHub,
    EventKind,
    SelfTestResult,
)
from kiosk.screens.base import KioskScreen
from kiosk.screens.home import HomeScreen
from kiosk.services import Services
from tests.conftest import wait_until


class BrokenPrinter(Device):
    """A device whose driver fails: status reads raise, and it reports a hardware error."""

    kind = "printer"

    def start(self) -> None: ...
    def stop(self) -> None: ...

    def health(self) -> DeviceHealth:
        return DeviceHealth("printer", DeviceState.HARDWARE_ERROR, "cutter jammed")

    def self_test(self) -> SelfTestResult:
        raise RuntimeError("driver crashed")


class ExplodingStep(KioskScreen):
    def compose_body(self) -> ComposeResult:
        yield Button("boom", id="boom")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "boom":
            raise RuntimeError("bug in a journey step")


async def test_unhealthy_device_is_shown_as_degraded(kiosk_config: KioskConfig) -> None:
    services = Services(kiosk_config)
    services.devices["printer"] = BrokenPrinter(services.events)
    app = KioskApp(kiosk_config, services=services, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        app.refresh_status()
        await pilot.pause()
        line = app.screen.query_one("#degraded")
        assert line.display and "打印机" in str(line.render())
        assert app.is_running


async def test_failing_event_subscriber_does_not_stop_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = EventHub()
    seen: list[DeviceEvent] = []
    hub.subscribe(lambda e: 1 / 0)
    hub.subscribe(seen.append)
    with caplog.at_level(logging.ERROR):
        hub.publish(DeviceEvent("idcard", EventKind.CARD_PLACED))
    assert len(seen) == 1 and "subscriber failed" in caplog.text


async def test_device_that_fails_to_start_is_reported_not_fatal(kiosk_config: KioskConfig) -> None:
    services = Services(kiosk_config.model_copy(deep=True))
    services.config.devices.printer.mode = "network"
    services.config.devices.printer.port = 1  # nothing listens there
    app = KioskApp(services.config, services=services)
    async with app.run_test(size=(120, 36)) as pilot:
        # the services start after the first paint: wait for them, not for workers so far
        await wait_until(pilot, lambda: services.wait_started(0))
        app.refresh_status()
        await pilot.pause()
        assert app.is_running
        health = {h.device: h for h in services.health()}
        assert not health["printer"].healthy
        assert app.device_usable("printer") is False
    services.stop()


async def test_a_bug_in_a_journey_step_returns_to_home(
    kiosk_config: KioskConfig, caplog: pytest.LogCaptureFixture
) -> None:
    app = KioskApp(kiosk_config, start_services=False)
    with caplog.at_level(logging.ERROR):
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.click("#lang-zh-Hans")
            await app.push_screen(ExplodingStep())
            await pilot.pause()
            await pilot.click("#boom")
            await pilot.pause()
            await pilot.pause()
            assert app.is_running
            assert isinstance(app.screen, HomeScreen)
            assert app.session is None  # the resident's data went with the broken step
    assert "bug in a journey step" in caplog.text
