"""Journey step: one service's guide, in plain words: who can apply, what to bring, how long,
what it costs, how to collect."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from kiosk.screens.base import KioskScreen
from kiosk.screens.guide import service_name
from kiosk.widgets.chrome import TButton

SECTIONS = (
    ("conditions", "guide.conditions"),
    ("materials", "guide.materials"),
    ("time_limit", "guide.time_limit"),
    ("fee", "guide.fee"),
    ("collection", "guide.collect"),
)


class ServiceGuideScreen(KioskScreen):
    IDLE_FACTOR = 3.0  # residents read guides slowly; do not time them out mid-sentence

    def __init__(self, service: dict) -> None:
        super().__init__()
        self.service = service

    def compose_body(self) -> ComposeResult:
        yield Static(id="service-title", classes="title")
        yield VerticalScroll(Static(id="service-guide"), id="service-guide-box")
        if self.service.get("kiosk_action") in ("apply", "print_record"):
            yield TButton("guide.start", id="service-start", classes="action", variant="success")

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "service-start":
            event.stop()
            self.app.begin_service(self.service)  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        language = self.app.language  # type: ignore[attr-defined]
        self.query_one("#service-title", Static).update(service_name(self.service, language))
        guide = self.service.get("guide", {})
        lines: list[str] = []
        for field, key in SECTIONS:
            value = guide.get(field)
            if not value:
                continue
            lines.append(f"[b]{self.app.t(key)}[/b]")  # type: ignore[attr-defined]
            items = value if isinstance(value, list) else [value]
            lines.extend(f"  • {item}" for item in items)
            lines.append("")
        self.query_one("#service-guide", Static).update("\n".join(lines))
