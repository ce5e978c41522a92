"""Journey step: 好差评. Five levels; the two lowest ask why (indicators, optional words).
Never forced: "跳过" is always there."""

from __future__ import annotations

import logging

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Button, Input

from kiosk import journey
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

log = logging.getLogger(__name__)


class RatingScreen(KioskScreen):
    IDLE_FACTOR = 1.5

    def __init__(self, service: dict, submission: journey.Submission) -> None:
        super().__init__()
        self.service, self.submission = service, submission
        self.level: int | None = None
        self.indicators: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield TLabel("rating.title", classes="title")
        with Grid(id="rating-levels"):
            for code, _name in journey.RATING_LEVELS:
                yield TButton(f"rating.level{code}", id=f"level-{code}", classes="action level")
        yield TLabel("rating.why", id="rating-why", classes="hint")
        with Horizontal(id="rating-indicators"):
            for i, indicator in enumerate(journey.RATING_INDICATORS):
                yield Button(indicator, id=f"ind-{i}", name=indicator, classes="indicator")
        yield Input(id="rating-text", max_length=200)
        with Horizontal(id="rating-actions"):
            yield TButton("rating.send", id="rating-send", classes="action", variant="success")
            yield TButton("rating.skip", id="rating-skip", classes="action")
        yield TLabel("rating.thanks", id="rating-thanks", classes="title")

    def on_mount(self) -> None:
        for wid in (
            "#rating-why",
            "#rating-indicators",
            "#rating-text",
            "#rating-send",
            "#rating-thanks",
        ):
            self.query_one(wid).display = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button
        if button.has_class("level"):
            self.level = int((button.id or "level-0").removeprefix("level-"))
            for other in self.query(".level"):
                other.set_class(other is button, "-chosen")
            asks = self.level in journey.RATING_NEEDS_REASON
            for wid in ("#rating-why", "#rating-indicators", "#rating-text"):
                self.query_one(wid).display = asks
            self.query_one("#rating-send").display = True
        elif button.has_class("indicator"):
            name = button.name or ""
            if name in self.indicators:
                self.indicators.remove(name)
            else:
                self.indicators.append(name)
            button.set_class(name in self.indicators, "-chosen")
        elif button.id == "rating-send" and self.level is not None:
            self.send()
        elif button.id == "rating-skip":
            self.app.end_session("done")  # type: ignore[attr-defined]
        else:
            return  # the chrome's buttons (home, language, call staff) go on to the app
        event.stop()

    def send(self) -> None:
        text = self.query_one("#rating-text", Input).value.strip()
        item = journey.rating_item(
            self.level or 0,
            self.indicators,
            "",
            self.submission.service_code,
            self.submission.platform_ref or self.submission.local_ref,
        )
        self._queue(item, text)
        for wid in (
            "#rating-levels",
            "#rating-why",
            "#rating-indicators",
            "#rating-text",
            "#rating-actions",
        ):
            self.query_one(wid).display = False
        self.query_one("#rating-thanks").display = True
        self.set_timer(3, lambda: self.app.end_session("done"))  # type: ignore[attr-defined]

    @work(thread=True, exit_on_error=False, group="rating")
    def _queue(self, item: dict, text: str) -> None:
        """Off the UI thread (a durable write waits for the disk). A rating that cannot be
        queued is logged; the resident is thanked either way: rating is never forced."""
        outbox = self.app.services.outbox  # type: ignore[attr-defined]
        try:
            # Free words may name someone: sealed like any personal data.
            personal = {"text": text} if text else {}
            outbox.enqueue(outbox.new_transaction_key(), "rating", "ratings", item, personal)
        except Exception as exc:
            log.error("rating not queued", extra={"error": f"{type(exc).__name__}: {exc}"})
