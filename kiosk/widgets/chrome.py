"""What every screen shows: the top bar (terminal, network, clock) and the bottom bar
(language switch, 长辈模式, 呼叫工作人员, home)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

from kiosk.i18n import LANGUAGE_LABELS, LANGUAGES, t
from kiosk.widgets.host import host

if TYPE_CHECKING:
    from kiosk.resident.steps import Journey


class Translatable:
    """Mixin for widgets whose text comes from an i18n key; `retranslate` re-reads it."""

    i18n_key: str
    i18n_values: dict[str, object]

    def text_for(self, language: str) -> str:
        return t(self.i18n_key, language, **self.i18n_values)

    def retranslate(self) -> None:
        raise NotImplementedError


class TLabel(Static, Translatable):
    def __init__(
        self, key: str, *, id: str | None = None, classes: str | None = None, **values: object
    ) -> None:
        self.i18n_key, self.i18n_values = key, values
        super().__init__("", id=id, classes=classes)

    def on_mount(self) -> None:
        self.retranslate()

    def set_key(self, key: str, **values: object) -> None:
        self.i18n_key, self.i18n_values = key, values
        self.retranslate()
        if self.has_class("hint") or self.has_class("message"):
            # A new status or error on the step in front of the resident is spoken (once it
            # is shown: screens show a message right after setting it).
            self.call_after_refresh(self._announce)

    def _announce(self) -> None:
        if self.display and self.is_attached and self.screen is self.app.screen:
            app = host(self)
            app.speak(self.text_for(app.language))

    def retranslate(self) -> None:
        self.update(self.text_for(host(self).language))


class TButton(Button, Translatable):
    """A translated button. With `big=True` its label is drawn large in 长辈模式, when the
    button is wide and tall enough for it (else the plain label)."""

    # Glyph heights to try, largest first; under 14 px the strokes of hanzi blur together.
    BIG_PIXELS = (18, 16, 14)

    def __init__(
        self,
        key: str,
        *,
        id: str | None = None,
        classes: str | None = None,
        variant: ButtonVariant = "default",
        big: bool = False,
        **values: object,
    ) -> None:
        self.i18n_key, self.i18n_values, self.big = key, values, big
        super().__init__("", id=id, classes=classes, variant=variant)

    def on_mount(self) -> None:
        self.retranslate()

    def on_resize(self) -> None:
        if self.big:
            self.retranslate()

    def set_key(self, key: str, **values: object) -> None:
        self.i18n_key, self.i18n_values = key, values
        self.retranslate()

    def retranslate(self) -> None:
        app = host(self)
        text = self.text_for(app.language)
        if self.big and app.elder:
            from kiosk.widgets.bigtext import rasterise

            inner_width, inner_height = self.content_size
            for pixels in self.BIG_PIXELS:
                lines = rasterise(text, pixels)
                if lines and max(map(len, lines)) <= inner_width and len(lines) <= inner_height:
                    self.label = Text("\n".join(lines))
                    return
        self.label = text


class TopBar(Horizontal):
    """Terminal name, network state and clock; a degraded-service line when needed."""

    def compose(self) -> ComposeResult:
        yield Static(id="terminal-name")
        yield Static(id="network")
        # 长辈模式: 🔊 重听 and the way out of 长辈模式 live up here, so the bottom bar keeps
        # four buttons (上一步, 首页, one language button, 呼叫工作人员).
        yield TButton("chrome.repeat", id="chrome-repeat", classes="top elder-only")
        yield TButton("chrome.elder.on", id="chrome-elder-top", classes="top elder-only")
        yield Static(id="clock")

    def on_mount(self) -> None:
        self.show(host(self).status_snapshot())

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "terminal-name":
            host(self).staff_tap()

    def show(self, status: Mapping[str, object]) -> None:
        if not self.query("#terminal-name"):  # a status tick before the bar is composed
            return
        self.query_one("#terminal-name", Static).update(str(status["terminal"]))
        network = self.query_one("#network", Static)
        network.update(str(status["network_text"]))
        network.set_class(status["network"] == "offline", "-offline")
        self.query_one("#clock", Static).update(time.strftime("%Y-%m-%d %H:%M"))


class DegradedLine(Static):
    def on_mount(self) -> None:
        self.show(host(self).status_snapshot())

    def show(self, status: Mapping[str, object]) -> None:
        text = str(status.get("degraded_text") or "")
        self.update(text)
        self.display = bool(text)


class StepIndicator(Static):
    """核验身份 · 填写 · 确认 · 完成, with the resident's place in it (from the journey core)."""

    def __init__(self, journey: Journey, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.journey = journey

    def on_mount(self) -> None:
        self.retranslate()

    def show(self, journey: Journey) -> None:
        self.journey = journey
        self.retranslate()

    def retranslate(self) -> None:
        language = host(self).language
        text = Text()
        for i, (phase, state) in enumerate(self.journey.indicator(), start=1):
            if i > 1:
                text.append("  ›  ")
            mark = "✔" if state == "done" else str(i)
            label = f"{mark} {t(f'steps.{phase.value}', language)}"
            text.append(label, style="bold reverse" if state == "current" else "")
        self.update(text)


def next_language(language: str) -> str:
    return LANGUAGES[(LANGUAGES.index(language) + 1) % len(LANGUAGES)]


class BottomBar(Horizontal):
    def __init__(self, *, show_home: bool, show_back: bool = False) -> None:
        super().__init__()
        self._show_home, self._show_back = show_home, show_back

    def compose(self) -> ComposeResult:
        if self._show_back:
            yield TButton("chrome.back", id="chrome-back", classes="chrome")
        if self._show_home:
            yield TButton("chrome.home", id="chrome-home", classes="chrome")
        for language in LANGUAGES:
            yield Button(
                LANGUAGE_LABELS[language], id=f"lang-{language}", classes="chrome lang normal-only"
            )
        # 长辈模式: one button, labelled with the next language in its own script.
        yield Button("", id="chrome-lang-next", classes="chrome elder-only")
        yield TButton("chrome.elder.off", id="chrome-elder", classes="chrome normal-only")
        yield TButton("chrome.call_staff", id="chrome-staff", classes="chrome", variant="warning")

    def on_mount(self) -> None:
        self.sync_state()

    def sync_state(self) -> None:
        if not self.query("#chrome-staff"):  # a language reset before the bar is composed:
            return  # its on_mount syncs it
        app = host(self)
        for language in LANGUAGES:
            self.query_one(f"#lang-{language}", Button).set_class(
                language == app.language, "-current"
            )
        self.query_one("#chrome-lang-next", Button).label = LANGUAGE_LABELS[
            next_language(app.language)
        ]
        elder = self.query_one("#chrome-elder", TButton)
        elder.set_key("chrome.elder.on" if app.elder else "chrome.elder.off")
        elder.set_class(app.elder, "-current")
        for back in self.query("#chrome-back"):
            can_go_back = getattr(self.screen, "can_go_back", None)
            back.display = bool(can_go_back()) if callable(can_go_back) else False
