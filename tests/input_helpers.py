"""A bare host for the on-screen input widgets: the kiosk's stylesheet and themes, an app
`language` and `elder` (长辈模式 as the app class -elder) like KioskApp, and every message
the widgets post, so tests can tap keys and read what a resident would see."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.message import Message
from textual.pilot import Pilot
from textual.widget import Widget

import kiosk
from kiosk.theme import THEMES, VARIABLE_DEFAULTS
from kiosk.widgets.chrome import Translatable


class InputHost(App[None]):
    CSS_PATH = str(Path(kiosk.__file__).parent / "app.tcss")

    def __init__(
        self, make: Callable[[], Widget], *, elder: bool = False, language: str = "zh-Hans"
    ) -> None:
        super().__init__()
        self._make, self.elder, self.language = make, elder, language
        self.posted: list[Message] = []
        self.animation_level = "none"
        self.set_class(elder, "-elder")  # before the widgets mount, as in KioskApp

    def get_theme_variable_defaults(self) -> dict[str, str]:  # as KioskApp: $frame etc.
        return {**super().get_theme_variable_defaults(), **VARIABLE_DEFAULTS}

    async def on_mount(self) -> None:
        # as KioskApp: the theme is chosen before any screen's widgets mount
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = "kiosk-elder" if self.elder else "kiosk"
        await self.screen.mount(self._make())

    async def _on_message(self, message: Message) -> None:
        # what a screen would receive from the widgets, once each (bubbled up to the app)
        if message.__class__.__module__.startswith("kiosk.widgets"):
            self.posted.append(message)
        await super()._on_message(message)

    def set_language(self, language: str) -> None:
        """What KioskApp.set_language does for the widgets: re-read every translated text."""
        self.language = language
        for widget in self.screen.query("*"):
            if isinstance(widget, Translatable):
                widget.retranslate()

    def of(self, kind: type[Message]) -> list[Message]:
        return [m for m in self.posted if isinstance(m, kind)]


def text_of(app: App[None], selector: str) -> str:
    """The text a resident reads in a Static/Button (without markup)."""
    from textual.widgets import Button, Static

    widget = app.screen.query_one(selector)
    if isinstance(widget, Button):
        return str(widget.label)
    assert isinstance(widget, Static)
    return str(widget.render()).strip()


async def shows(pilot: Pilot[None], selector: str, expected: str, timeout: float = 10.0) -> None:
    """Wait until the widget reads `expected` (a tap's effect may need a few refreshes: the
    region picker mounts a new page of buttons), then check it, saying what it read."""
    from tests.conftest import wait_until

    with contextlib.suppress(AssertionError):  # then say what it did read
        await wait_until(pilot, lambda: text_of(pilot.app, selector) == expected, timeout)
    assert text_of(pilot.app, selector) == expected
