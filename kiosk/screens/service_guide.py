"""One service's guide, in plain words: who can apply, what to bring, how long, what it
costs, how to collect; and 开始办理 where the terminal can do it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.resident.service import Action, Service
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel
from kiosk.widgets.pagedtext import PagedText


class ServiceGuideScreen(KioskScreen):
    IDLE_FACTOR = 3.0  # residents read guides slowly; do not time them out mid-sentence
    REUSABLE = True  # the app sets `service` and shows it again: nothing personal on it

    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service

    def compose_body(self) -> ComposeResult:
        yield Static(id="service-title", classes="title")
        yield PagedText(id="service-guide-box", body_id="service-guide")
        # Both, one shown (`retranslate`): the same screen shows the next service too.
        yield TLabel("guide.counter_only", id="service-counter-only", classes="hint")
        yield TButton("guide.start", id="service-start", classes="action", variant="success")

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "service-start":
            event.stop()
            self.kiosk.begin_service(self.service)

    def on_mount(self) -> None:
        self.retranslate()

    def reuse(self) -> None:
        super().reuse()
        self.retranslate()

    def retranslate(self) -> None:
        language = self.kiosk.language
        guide_only = self.service.action is Action.GUIDE_ONLY
        self.query_one("#service-counter-only").display = guide_only
        self.query_one("#service-start").display = not guide_only
        self.query_one("#service-title", Static).update(self.service.name(language))
        guide = self.service.guide_in(language)
        sections = (
            ("guide.conditions", guide.conditions),
            ("guide.materials", guide.materials),
            ("guide.time_limit", (guide.time_limit,) if guide.time_limit else ()),
            ("guide.fee", (guide.fee,) if guide.fee else ()),
            ("guide.collect", (guide.collection,) if guide.collection else ()),
        )
        text = Text()
        for key, items in sections:
            if not items:
                continue
            text.append(self.kiosk.t(key) + "\n", style="bold")
            for item in items:
                text.append(f"  • {item}\n")
        text.rstrip()  # in place
        self.query_one("#service-guide-box", PagedText).show(text, 0)
