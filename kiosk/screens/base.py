"""The screen every journey step builds on: chrome around a body, a step indicator, an idle
policy. A screen is a view of one step of the journey core (kiosk.resident); it asks the app
to move on or back, and never imports another screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen

from kiosk.devices.base import DeviceEvent
from kiosk.widgets.chrome import BottomBar, DegradedLine, StepIndicator, TopBar

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.resident.session import ResidentSession
    from kiosk.resident.steps import Journey, Step
    from kiosk.services import Services


class ScreenDeviceEvent(Message):
    """A device event, handed by the app to the step on screen (in the screen's own loop,
    so a bug there is a recoverable journey error, not a crash)."""

    def __init__(self, event: DeviceEvent) -> None:
        super().__init__()
        self.event = event


def kiosk_app(node: DOMNode) -> KioskApp:
    """The app, typed, for a screen or a modal on top of one (they only run inside KioskApp)."""
    return cast("KioskApp", node.app)


class KioskScreen(Screen[None]):
    # Inactivity timeout for this step, as a multiple of the configured one: a form the
    # resident is reading deserves longer than a menu.
    IDLE_FACTOR: float = 1.0
    SHOW_HOME: bool = True
    SHOW_BACK: bool = True
    STAFF: bool = False
    # The app keeps one screen of this class and shows it again rather than building a new
    # one each time: composing a step with its chrome costs several times what showing a
    # built one does (issue 7). Only for a screen whose `reuse` resets all it shows and
    # whose `forget_resident` leaves nothing of the resident on it.
    REUSABLE: bool = False

    # Set by the app when it shows the screen as a step of a journey.
    journey: Journey | None = None
    step: Step | None = None
    _pending_next = False  # a step to move on to once a modal on top has gone

    @property
    def kiosk(self) -> KioskApp:
        return kiosk_app(self)

    @property
    def services(self) -> Services:
        return self.kiosk.services

    @property
    def session(self) -> ResidentSession:
        """The resident's session (one is started if a worker result outlived it: harmless,
        the screen is about to be dropped)."""
        return self.kiosk.session or self.kiosk.start_session()

    def compose(self) -> ComposeResult:
        yield TopBar()
        yield DegradedLine(id="degraded")
        if self.journey is not None and len(self.journey.indicator()) > 1:
            yield StepIndicator(self.journey, id="steps")
        with Vertical(id="body"):
            yield from self.compose_body()
        yield BottomBar(show_home=self.SHOW_HOME, show_back=self.SHOW_BACK)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def reuse(self) -> None:
        """A kept screen (REUSABLE) is about to be shown again, for `self.journey` and
        `self.step` (already set): show this step as a new screen would."""
        self._pending_next = False
        wanted = self.journey is not None and len(self.journey.indicator()) > 1
        indicators = self.query(StepIndicator)
        if indicators and wanted and self.journey is not None:
            indicators.first().show(self.journey)
        elif indicators:
            indicators.remove()
        elif wanted and self.journey is not None:
            self.mount(StepIndicator(self.journey, id="steps"), after="#degraded")

    def on_screen_suspend(self) -> None:
        if self.REUSABLE and self not in self.app.screen_stack:
            self.forget_resident()  # popped, yet kept: nothing of the resident stays on it

    def on_screen_resume(self) -> None:
        self.kiosk.screen_resumed(self)
        for bar in self.query(BottomBar):
            bar.sync_state()
        if self._pending_next:
            self._pending_next = False
            self.kiosk.go_next(self)

    def move_on(self) -> None:
        """Go to the journey's next step. A worker's result can arrive while a modal (the
        inactivity countdown) is on top: then wait for it, never cover the modal."""
        if self.kiosk.screen is self:
            self.kiosk.go_next(self)
        elif self.is_attached:
            self._pending_next = True

    def can_go_back(self) -> bool:
        if self.journey is not None:
            return self.journey.can_go_back()
        return self.SHOW_BACK

    def spoken_prompt(self) -> str | None:
        """This step's main prompt, in the resident's language, for speech (None: silent):
        by default its title, then its hint or message, as shown."""
        parts: list[str] = []
        for selector in (".title", ".hint", ".message"):
            shown = [w for w in self.query(f"#body {selector}") if w.display and w.visible]
            parts += [text for w in shown[:1] if (text := str(w.render()).strip())]
        return "。".join(parts) or None

    def retranslate(self) -> None:
        """Called after a language switch, after every Translatable widget re-read its text."""

    def show_status(self, status: dict[str, object]) -> None:
        for bar in self.query(TopBar):
            bar.show(status)
        for line in self.query(DegradedLine):
            line.show(status)

    def on_screen_device_event(self, message: ScreenDeviceEvent) -> None:
        self.on_device_event(message.event)

    def on_device_event(self, event: DeviceEvent) -> None:
        """A device event while this step is showing (card placed, paper out, ...)."""

    def forget_resident(self) -> None:
        """Drop anything this screen shows about the resident (called when a session ends)."""
