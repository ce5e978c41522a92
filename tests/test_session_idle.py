"""Inactivity: a countdown of at least 20 s with one big button, then the resident's data is gone."""

from __future__ import annotations

import gc

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.privacy import mask_id_number, mask_name
from kiosk.resident.steps import Journey, Step
from kiosk.screens.base import KioskScreen
from kiosk.screens.countdown import CountdownScreen
from kiosk.screens.home import HomeScreen
from kiosk.session import IdlePhase, IdleTimer
from tests.conftest import FakeClock, wait_until
from tests.touch import Touch

# Synthetic resident (not a real person); the ID number's check digit is valid.
NAME = "测试长者"
ID_NUMBER = "11010519491231002X"


class Identity:
    """Stands in for a reader's card data: holds personal data, can wipe itself."""

    def __init__(self) -> None:
        self.name, self.id_number = NAME, ID_NUMBER

    def wipe(self) -> None:
        self.name = self.id_number = ""


class ShowsResident(KioskScreen):
    """A journey step that shows the resident's masked identity, like the real ones do."""

    IDLE_FACTOR = 2.0

    def compose_body(self) -> ComposeResult:
        identity = self.app.session.identity  # type: ignore[attr-defined]
        yield Static(f"{mask_name(identity.name)} {mask_id_number(identity.id_number)}", id="who")


def test_idle_timer_phases(clock: FakeClock) -> None:
    timer = IdleTimer(clock=clock, timeout=60, countdown=30)
    assert timer.phase() is IdlePhase.IDLE
    timer.start()
    clock.advance(59.9)
    assert timer.phase() is IdlePhase.ACTIVE
    clock.advance(0.2)
    assert timer.phase() is IdlePhase.WARNING and timer.seconds_left() == 30
    timer.touch()
    assert timer.phase() is IdlePhase.ACTIVE
    clock.advance(90)
    assert timer.phase() is IdlePhase.EXPIRED and timer.seconds_left() == 0


async def test_first_touch_starts_a_session(kiosk_config: KioskConfig, clock: FakeClock) -> None:
    app = KioskApp(kiosk_config, clock=clock, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.session is None
        await pilot.click("#lang-en")
        assert app.session is not None


async def test_countdown_then_continue(kiosk_config: KioskConfig, clock: FakeClock) -> None:
    app = KioskApp(kiosk_config, clock=clock, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.click("#lang-zh-Hans")
        session = app.session
        clock.advance(kiosk_config.ui.idle_timeout_s + 1)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, CountdownScreen)
        assert app.screen.seconds >= 20
        assert "秒后将自动退出" in str(app.screen.query_one("#countdown-text").render())
        clock.advance(5)
        app.check_inactivity()
        assert app.screen.seconds == int(kiosk_config.ui.countdown_s) - 6
        await pilot.click("#countdown-continue")
        await pilot.pause()
        assert not isinstance(app.screen, CountdownScreen)
        assert app.session is session  # same resident carries on


async def test_a_tick_before_the_countdown_is_drawn_keeps_the_session(
    kiosk_config: KioskConfig, clock: FakeClock
) -> None:
    """On a busy terminal the next inactivity tick can come before the countdown screen is
    composed: the resident keeps the session and sees the later count."""
    app = KioskApp(kiosk_config, clock=clock, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await Touch(app, pilot).tap("#lang-zh-Hans")
        session = app.session
        assert session is not None
        clock.advance(kiosk_config.ui.idle_timeout_s + 1)
        app.check_inactivity()  # pushes the countdown; not composed before the loop runs
        clock.advance(3)
        app.check_inactivity()
        await pilot.pause()
        assert app.session is session and isinstance(app.screen, CountdownScreen)
        left = int(kiosk_config.ui.countdown_s) - 4
        assert f"{left} 秒后将自动退出" in str(app.screen.query_one("#countdown-text").render())


async def test_expiry_wipes_the_resident_from_memory_and_screen(
    kiosk_config: KioskConfig, clock: FakeClock
) -> None:
    app = KioskApp(kiosk_config, clock=clock, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.click("#lang-zh-Hans")
        app.session.identity = Identity()
        await app.push_screen(ShowsResident())
        await pilot.pause()
        assert "1101**********002X" in str(app.screen.query_one("#who").render())
        # the reading screen gets twice the configured patience
        assert app.idle.timeout == 2 * kiosk_config.ui.idle_timeout_s
        clock.advance(app.idle.timeout + 1)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, CountdownScreen)
        clock.advance(kiosk_config.ui.countdown_s)
        app.check_inactivity()
        await pilot.pause()
        await pilot.pause()

        assert app.session is None
        assert isinstance(app.screen, HomeScreen) and len(app.screen_stack) == 2
        # nothing on any screen still shows the resident
        for screen in app.screen_stack:
            for widget in screen.query("*"):
                text = str(widget.render()) if hasattr(widget, "render") else ""
                assert "002X" not in text and "测" not in text
        # no object the app can reach still holds the card data
        gc.collect()
        holders = [o for o in gc.get_objects() if isinstance(o, Identity)]
        assert holders == []  # not just blanked: nothing keeps the object at all
        assert not any(isinstance(s, ShowsResident) for s in app.screen_stack)


async def test_home_screen_without_a_session_never_counts_down(
    kiosk_config: KioskConfig, clock: FakeClock
) -> None:
    app = KioskApp(kiosk_config, clock=clock, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        clock.advance(10_000)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_a_result_arriving_under_the_countdown_waits_for_it(
    kiosk_config: KioskConfig, clock: FakeClock
) -> None:
    app = KioskApp(kiosk_config, clock=clock, start_services=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.click("#lang-zh-Hans")
        app.session.identity = Identity()
        step = ShowsResident()
        journey = Journey.identify_first()
        journey.history.append(Step.IDENTIFY)
        step.journey, step.step = journey, Step.IDENTIFY
        await app.push_screen(step)
        clock.advance(app.idle.timeout + 1)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, CountdownScreen)
        step.move_on()  # e.g. the face check answered meanwhile
        await pilot.pause()
        assert isinstance(app.screen, CountdownScreen)  # the warning is not replaced
        await pilot.click("#countdown-continue")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "GuideScreen")
        assert journey.current is Step.GUIDE  # moved on once the warning had gone
