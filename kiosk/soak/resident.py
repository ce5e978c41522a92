"""A scripted resident at the terminal, tapping by widget id through Textual's Pilot.

One place knows the journey's widget ids, so the soak and the terminal-loss tests drive the
same steps, and a change of the journey screens is adapted here only. Every wait is bounded
and ends early once the app stops (its terminal may be taken away mid-step).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from textual import events
from textual.pilot import Pilot
from textual.widget import Widget

from kiosk.devices.idcard.synthetic import CardType

if TYPE_CHECKING:
    from kiosk.app import KioskApp

APPLY_SERVICE = "SB002"  # 社会保障卡补换领: card identity, a reason and a phone number
QUICK_SERVICE = "SB004"  # card identity and a phone number only (the soak's application)
PHONE = "13800001111"  # synthetic


class AppStopped(Exception):
    """The app stopped while the resident was at it (e.g. its terminal went away)."""


class Clock(Protocol):
    def advance(self, seconds: float) -> None: ...


@dataclass
class Submitted:
    """What the resident was told: the application is in (the acknowledgement)."""

    key: str
    local_ref: str


class Resident:
    def __init__(self, app: KioskApp, pilot: Pilot[int], timeout_s: float = 30.0) -> None:
        self.app, self.pilot, self.timeout_s = app, pilot, timeout_s

    async def until(
        self, condition: Callable[[], object], what: str, timeout_s: float | None = None
    ) -> None:
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while time.monotonic() < deadline:
            if not self.app.is_running:
                raise AppStopped(what)
            if condition():
                return
            # not pilot.pause: it waits for every widget of the screen, on every poll
            await asyncio.sleep(0.01)
        raise TimeoutError(f"{what}: not within {timeout_s or self.timeout_s:g} s")

    def shown(self, selector: str) -> Widget | None:
        """The widget on the current screen if a resident could touch it now."""
        if not self.app.is_running:
            return None
        found = self.app.screen.query(selector)
        widget = found.first() if found else None
        ready = (
            widget is not None
            and widget.display
            and widget.region.area > 0
            and not widget.disabled
            and not widget.has_class("-active")  # the button's double-tap guard
        )
        return widget if ready else None

    async def tap(self, selector: str) -> None:
        """A touch where the widget is: press and release, posted to the app as the
        terminal driver posts them (so the app's own input handling runs, and Textual makes
        the click), then one wait for the screen to take it in. Pilot.click waits for every
        widget of the screen four times per tap; the soak runs thousands of sessions."""
        await self.until(lambda: self.shown(selector), f"tap {selector}")
        widget = self.shown(selector)
        assert widget is not None
        x, y = widget.region.center
        for kind in (events.MouseDown, events.MouseUp):
            self.app.post_message(
                kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y)
            )
        await self.pilot.pause()

    # --- journey steps -------------------------------------------------------------------
    async def services_up(self) -> None:
        services = self.app.services
        await self.until(
            lambda: services.wait_started(0) and services.outbox is not None,
            "services started",
            120.0,  # devices, the platform and the outbox start in a worker; slow when busy
        )
        await self.until(
            lambda: all(d.health().healthy for d in services.devices.values()), "devices healthy"
        )

    async def open_service(self, code: str = APPLY_SERVICE) -> None:
        """From the home screen: 办事指南 → category → the service (paging) → 开始办理."""
        service = self.app.services.catalog.service(code)
        if service is None:
            raise LookupError(f"service {code} is not in the catalog")
        await self.tap("#home-guide")
        await self.tap(f"#cat-{service.category}")
        while not self.app.screen.query(f"#svc-{code}"):
            await self.tap("#guide-next")
        await self.tap(f"#svc-{code}")
        await self.tap("#service-start")

    async def identify(self) -> None:
        """Place the synthetic resident card on the reader, tap 继续."""
        await self.until(lambda: self.app.screen.query("#idcard-continue"), "ID card step")
        reader = self.app.services.device("idcard")
        reader.emulator.place_card(CardType.RESIDENT)  # type: ignore[union-attr]
        await self.tap("#idcard-continue")

    async def take_card(self) -> None:
        """The resident takes the card back; the reader has seen it go (a card left from
        the last session must be taken out before it is read again)."""
        reader = self.app.services.device("idcard")
        reader.emulator.remove_card()  # type: ignore[union-attr]
        await self.until(lambda: not getattr(reader, "card_present", False), "card taken")

    async def identify_from_home(self) -> None:
        """刷身份证 on the home screen, the card, 继续: identified, choosing a service."""
        await self.tap("#home-idcard")
        await self.identify()
        await self.until(lambda: not self.app.screen.query("#home-idcard"), "left home")

    async def fill_form(self) -> None:
        """The first choice of a choice, and the phone number (the on-screen pad), where the
        form asks for them; the card fields are filled from the card."""
        await self.until(lambda: self.app.screen.query("#form-next"), "form")
        if self.app.screen.query("Button.option"):
            await self.tap("Button.option")
        if self.app.screen.query("#field-phone"):
            await self.tap("#field-phone")
            for digit in PHONE:
                await self.tap(f"#pad-{digit}")
            await self.tap("#pad-done")
            await self.until(lambda: self.app.screen.query("#form-next"), "back on the form")

    async def submit(self) -> Submitted:
        """Review and submit; returns what the resident is shown once it is in."""
        await self.tap("#form-next")
        await self.tap("#review-submit")
        # The screen takes the session's submission when it mounts: told, once it shows.
        await self.until(
            lambda: getattr(self.app.screen, "submission", None) is not None, "submitted screen"
        )
        submission = self.app.screen.submission  # type: ignore[attr-defined]
        return Submitted(submission.key, submission.local_ref)

    async def receipt_printed(self) -> None:
        await self.until(
            lambda: "回执已打印" in str(self.app.screen.query_one("#submitted-print").render()),
            "receipt printed",
        )

    async def rate_and_leave(self) -> None:
        """好差评 非常满意, then 首页: the session ends."""
        await self.tap("#submitted-rate")
        await self.tap("#level-1")
        await self.tap("#rating-send")
        await self.until(lambda: self.shown("#rating-thanks"), "thanks")
        await self.tap("#chrome-home")
        await self.until(lambda: self.app.session is None, "session ends")

    async def walk_away(self, clock: Clock) -> None:
        """Take the card and leave mid-journey: the countdown appears, then the session
        ends. The inactivity clock is moved on rather than waited for; moved again if the
        card's removal reached the app after it moved (that counts as activity)."""
        await self.take_card()
        for _ in range(5):
            clock.advance(self.app.idle.timeout + 1)
            try:
                await self.until(lambda: self.app.screen.query("#countdown-continue"), "", 3.0)
                break
            except TimeoutError:
                continue
        for _ in range(5):
            clock.advance(self.app.idle.countdown + 1)
            try:
                await self.until(lambda: self.app.session is None, "", 3.0)
                return
            except TimeoutError:
                continue
        raise TimeoutError("the session did not end on timeout")
