"""返回首页 with something entered: ask before throwing it away (two big answers)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen

from kiosk.widgets.chrome import TButton, TLabel


class ConfirmHomeScreen(ModalScreen[bool]):
    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield TLabel("confirm.home.title", classes="title")
            yield TLabel("confirm.home.body", classes="hint")
            with Horizontal(id="confirm-actions"):
                yield TButton("confirm.home.stay", id="confirm-stay", classes="action",
                              variant="success")  # fmt: skip
                yield TButton("confirm.home.leave", id="confirm-leave", classes="action")

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id in ("confirm-stay", "confirm-leave"):
            event.stop()
            self.dismiss(event.button.id == "confirm-leave")
