"""The inactivity warning: a countdown and one big "continue" button."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen

from kiosk.screens.base import kiosk_app
from kiosk.widgets.chrome import TButton, TLabel


class CountdownScreen(ModalScreen[None]):
    def __init__(self, seconds: int) -> None:
        super().__init__()
        self._seconds = seconds

    def compose(self) -> ComposeResult:
        with Vertical(id="countdown-box"):
            yield TLabel("idle.title", classes="title")
            yield TLabel("idle.body", id="countdown-text", s=self._seconds)
            yield TButton("idle.continue", id="countdown-continue", variant="success")

    def set_seconds(self, seconds: int) -> None:
        if seconds != self._seconds:
            self._seconds = seconds
            # A tick may come before the screen is composed (a busy loop): compose shows it.
            for label in self.query("#countdown-text").results(TLabel):
                label.set_key("idle.body", s=seconds)

    @property
    def seconds(self) -> int:
        return self._seconds

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "countdown-continue":
            event.stop()
            kiosk_app(self).continue_session()
