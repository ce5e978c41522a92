"""Touching the kiosk as a resident does: the one tap driver of the journey tests, `kiosk bench
ui` and the soak.

A tap is a MouseDown and a MouseUp at the centre of the widget, posted to the app as the
terminal driver posts a touch, so the app's own hit-testing decides what was touched (as on
the panel). Before it taps, the driver waits until the target can really take a touch: on
the current screen, laid out, shown, enabled, past its double-tap guard, not covered, and
still where it was after a refresh (a message appearing above it, e.g. "take your card",
moves it). After the tap it waits until the touch has been handled: the click, and the
Pressed message bubbling up to the screen and the app. It never presses a key: what the
resident enters goes through the on-screen pads, counted as `typed`.

Not part of the headless core (it drives Textual); nothing under the screens imports it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.css.query import NoMatches
from textual.errors import NoWidget
from textual.geometry import Offset, Region
from textual.screen import Screen
from textual.widget import Widget

from kiosk.devices.idcard.synthetic import CardType
from kiosk.resident.service import Action

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.devices.idcard.emulator import SamEmulator
    from kiosk.devices.idcard.reader import IdCardReader
    from kiosk.resident.service import Service

POLL_S = 0.005
HOP_TIMEOUT_S = 10.0  # one message queue taking a message in; only a wedged app is slower
MAX_PAGES = 30  # paging through a list for a service: more means it is not there


class AppStopped(Exception):
    """The app stopped while the resident was at it (e.g. its terminal went away)."""


class TouchTimeout(TimeoutError):
    """What was waited for did not come; the message names the screen and what was expected."""


class TouchDriver:
    """Taps by selector on the app's current screen, counting taps and typed characters."""

    def __init__(self, app: App[object] | KioskApp, timeout_s: float = 30.0) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self.taps = 0
        self.typed = 0  # characters entered on the on-screen pads (each also a tap)
        self.log: list[str] = []

    def reset(self) -> None:
        self.taps = self.typed = 0
        self.log.clear()

    @property
    def screen_name(self) -> str:
        return type(self.app.screen).__name__ if self.app.is_running else "(app stopped)"

    def screen_is(self, name: str) -> bool:
        """`name` is the screen shown: pushed and mounted (composed, its on_mount run). A
        screen only pushed is still being built, and a caller that stops the app then
        tears it down mid-mount."""
        return self.screen_name == name and self.app.screen.is_mounted

    def text(self, selector: str) -> str:
        """What the resident reads in the widgets matching `selector` on the current screen
        ("" while they are not there yet)."""
        if not self.app.is_running:
            return ""
        return " ".join(str(w.render()) for w in self.app.screen.query(selector))

    async def until(
        self, condition: Callable[[], object], timeout_s: float | None = None, what: str = ""
    ) -> None:
        """Let the app run until `condition()` holds; a TouchTimeout says where it stuck."""
        limit = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + limit
        while True:
            if not self.app.is_running:
                raise AppStopped(what or "waiting")
            if condition():
                return
            if time.monotonic() > deadline:
                raise TouchTimeout(
                    f"on {self.screen_name}: {what or 'the condition'} not within {limit:g} s"
                    f" (after {self.taps} taps: {' '.join(self.log[-5:])})"
                )
            # not Pilot.pause: it waits for every widget of the screen, on every poll
            await asyncio.sleep(POLL_S)

    def touchable(self, selector: str) -> Widget | None:
        """The widget on the current screen if a finger could touch it now, else None."""
        if not self.app.is_running:
            return None
        screen = self.app.screen
        try:
            widget = screen.query(selector).first()
        except NoMatches:
            return None
        region = widget.region
        if not (
            widget.display and widget.visible and region.area > 0
            and not widget.is_disabled and not widget.has_class("-active")
        ):  # fmt: skip
            return None
        try:  # what a touch at the centre would hit: this widget, not something over it
            hit, _ = screen.get_widget_at(*centre(region))
        except NoWidget:
            return None
        return widget if widget in hit.ancestors_with_self else None

    async def wait_touchable(self, selector: str, timeout_s: float | None = None) -> Widget:
        """Wait until the widget can take a touch and stays put across a refresh."""
        found: list[Widget] = []

        async def settled() -> bool:
            widget = self.touchable(selector)
            if widget is None:
                return False
            before = widget.region
            if not await self._refreshed(widget):
                return False
            if self.touchable(selector) is widget and widget.region == before:
                found.append(widget)
                return True
            return False

        limit = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + limit
        while not await settled():
            if not self.app.is_running:
                raise AppStopped(f"tap {selector}")
            if time.monotonic() > deadline:
                raise TouchTimeout(
                    f"on {self.screen_name}: {selector} never took a touch within {limit:g} s "
                    f"({self._state(selector)})"
                )
            await asyncio.sleep(POLL_S)
        return found[0]

    async def tap(
        self,
        selector: str,
        expect: Callable[[], object] | None = None,
        what: str = "",
        timeout_s: float | None = None,
    ) -> None:
        """Touch the widget once it can take it, and wait until the touch was handled (and
        `expect()` holds, if given: what the tap should bring about)."""
        widget = await self.wait_touchable(selector, timeout_s)
        self.post_touch(widget.region)
        self.taps += 1
        self.log.append(selector)
        await self.handled(widget)
        if expect is not None:
            await self.until(expect, timeout_s, what or f"after tapping {selector}")

    def post_touch(self, region: Region) -> Offset:
        """A raw touch at the centre of `region`: press and release, as the terminal driver
        posts them (the app makes the Click). No waiting: for timing from the touch."""
        x, y = centre(region)
        for kind in (events.MouseDown, events.MouseUp):
            self.app.post_message(
                kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y)
            )
        return Offset(x, y)

    async def timed(self, start: Callable[[], object], screen_name: str) -> float:
        """Seconds from `start()` until a screen named `screen_name` has been painted (its
        first compositor refresh): what the resident waits for after a touch."""
        painted = asyncio.Event()

        def on_screen(screen: Screen[object]) -> None:
            if type(screen).__name__ == screen_name:
                screen.call_after_refresh(painted.set)

        self.app.screen_change_signal.subscribe(self.app, on_screen, immediate=True)
        try:
            began = time.perf_counter()
            start()
            await asyncio.wait_for(painted.wait(), 30)
            return time.perf_counter() - began
        finally:
            self.app.screen_change_signal.unsubscribe(self.app)

    async def tap_until_painted(self, selector: str, screen_name: str) -> float:
        """A raw touch once the target can take it, timed until the next screen is painted
        (no wait for the touch to be handled: that is what is timed)."""
        widget = await self.wait_touchable(selector)
        self.taps += 1
        self.log.append(selector)
        return await self.timed(lambda: self.post_touch(widget.region), screen_name)

    async def handled(self, widget: Widget) -> None:
        """Wait until the touch posted last has gone through: the app turned it into a Click
        for `widget`, the widget handled it, and what it posted (Pressed) bubbled up to the
        screen and the app. A node that went away meanwhile (its screen closed) is skipped."""
        hops = [self.app, widget, *widget.ancestors_with_self]  # the widget twice: Click, Pressed
        for node in hops:
            done = asyncio.Event()
            if not node.call_later(done.set):
                continue
            try:
                await asyncio.wait_for(done.wait(), HOP_TIMEOUT_S)
            except TimeoutError:
                if not self.app.is_running:
                    raise AppStopped("a tap") from None
                raise TouchTimeout(
                    f"on {self.screen_name}: {node!r} never took the touch"
                ) from None

    async def _refreshed(self, widget: Widget) -> bool:
        """One refresh of the screen has happened (False: the widget's screen went away)."""
        done = asyncio.Event()
        if not widget.is_attached or not widget.call_after_refresh(done.set):
            return False
        try:
            await asyncio.wait_for(done.wait(), 1.0)  # a screen switched away never refreshes
        except TimeoutError:
            return False
        return True

    def _state(self, selector: str) -> str:
        try:
            w = self.app.screen.query(selector).first()
        except NoMatches:
            return "not on this screen"
        return (
            f"display={w.display} visible={w.visible} region={tuple(w.region)} "
            f"disabled={w.is_disabled} classes={' '.join(sorted(w.classes))}"
        )


def centre(region: Region) -> Offset:
    """Where a finger lands on a widget: its middle cell."""
    return Offset(region.x + region.width // 2, region.y + region.height // 2)


# How a resident answers each field of the most used services, by taps (synthetic values).
PAD_ANSWERS = {"phone": "13800001111", "amount": "2000", "bank_card": "6222020200112233"}
REGION_PATH = ("440000", "440100", "440106")  # 广东省 › 广州市 › 天河区


class KioskTouch(TouchDriver):
    """The kiosk's journey steps by taps: one place knows the widget ids of the journey."""

    app: KioskApp

    def __init__(self, app: KioskApp, timeout_s: float = 30.0) -> None:
        super().__init__(app, timeout_s)
        self.app = app

    async def services_up(self, timeout_s: float = 120.0) -> None:
        """Devices, the platform and the outbox start in a worker; slow when the machine is."""
        services = self.app.services
        await self.until(
            lambda: services.wait_started(0) and services.outbox is not None,
            timeout_s, "services started",
        )  # fmt: skip
        await self.until(
            lambda: all(d.health().healthy for d in services.devices.values()),
            timeout_s, "devices healthy",
        )  # fmt: skip

    def service(self, code: str) -> Service:
        service = self.app.services.catalog.service(code)
        if service is None:
            raise LookupError(f"service {code} is not in the catalog")
        return service

    async def open_service(self, code: str) -> None:
        """From the home screen: 办事指南 → category (paging: 长辈模式 shows four a page) →
        the service (paging) → 开始办理."""
        service = self.service(code)
        await self.tap("#home-guide", lambda: self.screen_is("GuideScreen"), "the guide")
        await self.page_to(f"#cat-{service.category}", "Button.category")
        await self.tap(f"#cat-{service.category}")
        await self.page_to(f"#svc-{code}", "Button.service")
        await self.tap(f"#svc-{code}", lambda: self.screen_is("ServiceGuideScreen"), code)
        await self.tap("#service-start")

    async def page_to(self, selector: str, items: str, pager: str = "#guide-next") -> None:
        """Tap 下一页 until `selector` is on the page. A list fills in once its screen is laid
        out: wait for its first `items` before deciding the target is on another page."""
        await self.until(lambda: self.app.screen.query(items), what=f"the list of {items}")
        for _ in range(MAX_PAGES):
            if self.app.screen.query(selector):
                return
            await self.tap(pager)
        raise TouchTimeout(f"on {self.screen_name}: {selector} on no page")

    def _card_slot(self) -> tuple[IdCardReader, SamEmulator]:
        reader = self.app.services.idcard
        if reader is None or reader.emulator is None:
            raise RuntimeError("the ID card reader is not emulated: no card can be placed")
        return reader, reader.emulator

    async def place_card(self) -> None:
        """The synthetic resident's card on the reader (the one act that is not a tap)."""
        self._card_slot()[1].place_card(CardType.RESIDENT)

    async def take_card(self) -> None:
        """The resident takes the card; wait until the reader has seen it go."""
        reader, emulator = self._card_slot()
        emulator.remove_card()
        await self.until(lambda: not reader.card_present, what="the card taken off the reader")

    async def identify(self) -> None:
        """On the ID card step: place the card (taking off one left by the last resident
        first: a card left behind is never read for the next person), then 继续."""
        await self.until(lambda: self.screen_is("IdCardScreen"), what="the ID card step")
        if self._card_slot()[0].card_present:
            await self.take_card()
            await self.until(lambda: "idcard" not in self.app.stale_cards, what="stale card")
        await self.place_card()
        await self.tap("#idcard-continue")

    async def digits(self, text: str) -> None:
        """Key a number in on the on-screen number pad, then 确定."""
        for ch in text:
            await self.tap("#pad-x" if ch in "Xx" else f"#pad-{ch}")
            self.typed += 1
        await self.tap("#pad-done")

    async def answer_form(self) -> None:
        """Fill every field the resident answers on the form on screen, by taps: the first
        choice of a choice, numbers on the pad, today's date, a region by the picker; a field
        the kiosk prefilled (the phone number on file) is left as it is."""
        session = self.app.session
        if session is None or session.service is None:
            raise RuntimeError(f"on {self.screen_name}: no service chosen")
        service = session.service
        await self.until(lambda: self.app.screen.query("#form-next"), what="the form")
        on_form = lambda: self.screen_is("FormScreen")  # noqa: E731
        for item in service.resident_fields:
            kind = item.input_kind.value
            if kind == "choice":
                await self.tap(f"#form-fields Button.option.-opt-{item.name}")
                continue
            field = f"#field-{item.name}"
            await self.until(partial(self._settled_field, field), what=f"{field}, no lookup")
            if session.answers.get(item.name):  # prefilled from what the platform has on file
                continue
            await self.tap(field, lambda: self.screen_is("FieldInputScreen"))
            if kind in ("phone", "digits", "id_number"):
                await self.digits(PAD_ANSWERS.get(item.name, PAD_ANSWERS["phone"]))
            elif kind == "date":
                await self.tap("#date-done")  # today, within the field's bounds
            elif kind == "region":  # down to the field's level: the picker closes there
                for code in REGION_PATH:
                    if on_form():
                        break
                    await self.page_to(f"#region-{code}", "Button.region-option", "#region-next")
                    await self.tap(f"#region-{code}")
            else:
                raise RuntimeError(f"no touch answer for {item.name} ({kind})")
            await self.until(on_form, what=f"back on the form after {item.name}")

    def _settled_field(self, selector: str) -> bool:
        """The field can be touched and is not waiting for what the platform has on file."""
        widget = self.touchable(selector)
        return widget is not None and not widget.has_class("-looking-up")

    async def visit_from_home(self, code: str) -> None:
        """A resident at the home screen places the ID card ("it is me": identified at once)
        and gets service `code` printed: the quick button where it is offered, else 更多服务
        and the guide; the face check, the form by taps, 提交 for an application; until the
        certificate or the receipt is printed. The taps are counted from the card placed."""
        await self.until(lambda: self.screen_is("HomeScreen"), what="the home screen")
        await self.place_card()
        await self.until(lambda: self.touchable("IdCardScreen #idcard-continue"),
                         what="identified by the card on the home screen")  # fmt: skip
        if self.app.screen.query(f"#quick-{code}"):
            await self.tap(f"#quick-{code}")
        else:
            await self.tap("#idcard-continue", lambda: self.screen_is("GuideScreen"), "the guide")
            service = self.service(code)
            await self.page_to(f"#cat-{service.category}", "Button.category")
            await self.tap(f"#cat-{service.category}")
            await self.page_to(f"#svc-{code}", "Button.service")
            await self.tap(f"#svc-{code}", lambda: self.screen_is("ServiceGuideScreen"), code)
            await self.tap("#service-start")
        # the face check runs by itself (a live record waits for the platform's word)
        await self.until(lambda: self.app.screen.query("FormScreen #form-next"), 60, "the form")
        await self.answer_form()
        await self.tap("#form-next")
        if self.service(code).action is Action.PRINT_RECORD:
            await self.until(lambda: "证明已打印" in self.text("RecordScreen #record-status"),
                             60, "the certificate printed")  # fmt: skip
        else:
            await self.tap("#review-submit", lambda: self.screen_is("SubmittedScreen"))
            await self.until(lambda: "回执已打印" in self.text("#submitted-print"), 60,
                             "the receipt printed")  # fmt: skip

    async def leave_with_card(self) -> None:
        """After a printed result: take the card, 完成; the session ends on the home screen."""
        await self.take_card()
        done = "#record-done" if self.screen_is("RecordScreen") else "#submitted-done"
        await self.tap(done)
        await self.until(lambda: self.screen_is("HomeScreen") and self.app.session is None,
                         what="the session ended, home")  # fmt: skip
