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

    def on_screen_resume(self) -> None:
        self.app.screen_resumed(self)  # type: ignore[attr-defined]

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
