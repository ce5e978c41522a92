"""The screen every journey step builds on: chrome around a body, an idle policy."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen

from kiosk.widgets.chrome import BottomBar, DegradedLine, TopBar


class KioskScreen(Screen):
    # Inactivity timeout for this step, as a multiple of the configured one: a form the
    # resident is reading deserves longer than a menu.
    IDLE_FACTOR: float = 1.0
    SHOW_HOME: bool = True

    def compose(self) -> ComposeResult:
        yield TopBar()
        yield DegradedLine(id="degraded")
        with Vertical(id="body"):
            yield from self.compose_body()
        yield BottomBar(show_home=self.SHOW_HOME)

    def compose_body(self) -> ComposeResult:
        yield from ()

    _next: Screen | None = None  # a step to move on to once a modal on top has gone

    def on_screen_resume(self) -> None:
        self.app.screen_resumed(self)  # type: ignore[attr-defined]
        if self._next is not None:
            step, self._next = self._next, None
            self.app.switch_screen(step)

    def move_on(self, step: Screen) -> None:
        """Replace this step with the next. A worker's result can arrive while a modal (the
        inactivity countdown) is on top: then wait for it, never replace the modal."""
        if self.app.screen is self:
            self.app.switch_screen(step)
        elif self.is_attached:
            self._next = step

    def spoken_prompt(self) -> str | None:
        """This step's main prompt, in the resident's language, for speech (None: silent)."""
        return None

    def retranslate(self) -> None:
        """Called after a language switch, after every Translatable widget re-read its text."""

    def show_status(self, status: dict[str, object]) -> None:
        for bar in self.query(TopBar):
            bar.show(status)
        for line in self.query(DegradedLine):
            line.show(status)

    def on_screen_device_event(self, message: object) -> None:
        self.on_device_event(message.event)  # type: ignore[attr-defined]

    def on_device_event(self, event: object) -> None:
        """A device event while this step is showing (card placed, paper out, ...)."""

    def forget_resident(self) -> None:
        """Drop anything this screen shows about the resident (called when a session ends)."""
