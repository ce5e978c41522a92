"""A scripted resident at the terminal, tapping by widget id through the kiosk's tap driver
(kiosk/touchdriver.py: raw touches posted to the app, each waited for until handled; not
Pilot.click, which waits for every widget of the screen four times per tap).

The soak and the terminal-loss tests drive the same steps. Every wait is bounded and ends
early once the app stops (its terminal may be taken away mid-step): AppStopped.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from textual.pilot import Pilot

from kiosk.touchdriver import KioskTouch

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.resident.session import Submission

APPLY_SERVICE = "SB002"  # 社会保障卡补换领: card identity, a reason and a phone number
QUICK_SERVICE = "SB004"  # card identity and a phone number only (the soak's application)


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
        self.touch = KioskTouch(app, timeout_s)

    async def until(
        self, condition: Callable[[], object], what: str, timeout_s: float | None = None
    ) -> None:
        await self.touch.until(condition, timeout_s, what)

    async def tap(self, selector: str) -> None:
        await self.touch.tap(selector)

    # --- journey steps -------------------------------------------------------------------
    async def services_up(self) -> None:
        await self.touch.services_up()

    async def open_service(self, code: str = APPLY_SERVICE) -> None:
        """From the home screen: 办事指南 → category → the service (paging) → 开始办理."""
        await self.touch.open_service(code)

    async def identify(self) -> None:
        """Place the synthetic resident card on the reader, tap 继续."""
        await self.touch.identify()

    async def take_card(self) -> None:
        """The resident takes the card back; the reader has seen it go (a card left from
        the last session must be taken out before it is read again)."""
        await self.touch.take_card()

    async def identify_from_home(self) -> None:
        """刷身份证 on the home screen, the card, 继续: identified, choosing a service."""
        await self.tap("#home-idcard")
        await self.identify()
        await self.until(lambda: not self.app.screen.query("#home-idcard"), "left home")

    async def fill_form(self) -> None:
        """Every field the resident answers, by taps (the phone number on the on-screen pad);
        the card fields are filled from the card."""
        await self.touch.answer_form()

    async def submit(self) -> Submitted:
        """Review and submit; returns what the resident is shown once it is in."""
        await self.tap("#form-next")
        await self.tap("#review-submit")

        # The screen takes the session's submission when it mounts: told, once it shows.
        def shown() -> Submission | None:
            session = self.app.session
            if session is None or not self.app.screen.query("#submitted-print"):
                return None
            return session.submission

        await self.until(lambda: shown() is not None, "submitted screen")
        submission = shown()
        assert submission is not None
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
        await self.until(lambda: self.touch.touchable("#rating-thanks"), "thanks")
        await self.tap("#chrome-home")
        await self.until(lambda: self.app.session is None, "session ends")

    async def walk_away(self, clock: Clock) -> None:
        """Take the card and leave mid-journey: the countdown appears, then the session
        ends. The inactivity clock is moved on rather than waited for; moved again if the
        card's removal reached the app after it moved (that counts as activity)."""
        await self.take_card()
        # Retried until the resident's timeout, not a count: on a loaded machine a check
        # can take longer than one 3 s attempt.
        deadline = time.monotonic() + self.timeout_s
        while not self.app.screen.query("#countdown-continue") and self.app.session is not None:
            if time.monotonic() > deadline:
                raise TimeoutError("no countdown after the resident left")
            clock.advance(self.app.idle.timeout + 1)
            with contextlib.suppress(TimeoutError):
                await self.until(lambda: self.app.screen.query("#countdown-continue"), "", 3.0)
        while self.app.session is not None:
            if time.monotonic() > deadline:
                raise TimeoutError("the session did not end on timeout")
            clock.advance(self.app.idle.countdown + 1)
            with contextlib.suppress(TimeoutError):
                await self.until(lambda: self.app.session is None, "", 3.0)
