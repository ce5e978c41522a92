"""Shown while the terminal is out of service (staff took it out, or the platform locked it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.screens.base import KioskScreen
from kiosk.widgets.bigtext import BigText
from kiosk.widgets.chrome import TLabel


class OutOfServiceScreen(KioskScreen):
    SHOW_HOME = False

    def compose_body(self) -> ComposeResult:
        yield BigText(id="oos-big")
        yield TLabel("oos.title", id="oos-title", classes="title")
        yield TLabel("oos.hint", classes="hint")
        # What the operator who locked it said (a platform lock's message), if anything.
        yield Static("", id="oos-message", classes="hint")

    def on_mount(self) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        message = getattr(getattr(self.app, "services", None), "lock_message", "")
        self.query_one("#oos-message", Static).update(message or "")
        self.query_one("#oos-big", BigText).update(
            self.query_one("#oos-title", TLabel).text_for(self.kiosk.language)
        )
