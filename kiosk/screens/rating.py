"""Journey step 好差评 (GB/T 39046-2020): five levels, 1 = 非常满意 … 5 = 非常不满意; 不满意
and 非常不满意 ask why (indicators) and offer a real-name follow-up. Never forced: 跳过 is
always there."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Button

from kiosk.resident import actions
from kiosk.resident.rating import INDICATORS, Rating, Satisfaction
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

ASK_WHY = ("#rating-why", "#rating-indicators", "#rating-real-name")


class RatingScreen(KioskScreen):
    IDLE_FACTOR = 1.5

    def __init__(self) -> None:
        super().__init__()
        self.level: Satisfaction | None = None
        self.indicators: list[str] = []
        self.real_name = False

    def compose_body(self) -> ComposeResult:
        yield TLabel("rating.title", classes="title")
        with Grid(id="rating-levels"):
            for level in Satisfaction:
                yield TButton(f"rating.level.{int(level)}", id=f"level-{int(level)}",
                              classes="action level")  # fmt: skip
        yield TLabel("rating.why", id="rating-why", classes="hint")
        with Horizontal(id="rating-indicators"):
            for code in INDICATORS:
                yield TButton(f"rating.ind.{code}", id=f"ind-{code}", classes="indicator")
        yield TButton("rating.real_name", id="rating-real-name", classes="indicator")
        yield TLabel("rating.need_reason", id="rating-need", classes="message")
        with Horizontal(id="rating-actions"):
            yield TButton("rating.send", id="rating-send", classes="action", variant="success")
            yield TButton("rating.skip", id="rating-skip", classes="action")
        yield TLabel("rating.thanks", id="rating-thanks", classes="title")

    def on_mount(self) -> None:
        for wid in (*ASK_WHY, "#rating-need", "#rating-send", "#rating-thanks"):
            self.query_one(wid).display = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button
        if button.has_class("level"):
            self.level = Satisfaction(int((button.id or "level-1").removeprefix("level-")))
            for other in self.query(".level"):
                other.set_class(other is button, "-chosen")
            for wid in ASK_WHY:
                self.query_one(wid).display = self.level.needs_reason
            self.query_one("#rating-send").display = True
        elif button.id == "rating-real-name":
            self.real_name = not self.real_name
            button.set_class(self.real_name, "-chosen")
        elif button.has_class("indicator"):
            code = (button.id or "").removeprefix("ind-")
            if code in self.indicators:
                self.indicators.remove(code)
            else:
                self.indicators.append(code)
            button.set_class(code in self.indicators, "-chosen")
            self.query_one("#rating-need").display = False
        elif button.id == "rating-send" and self.level is not None:
            if self.level.needs_reason and not self.indicators:
                self.query_one("#rating-need").display = True
                return
            self.send()
        elif button.id == "rating-skip":
            self.kiosk.end_session("done")
        else:
            return  # the chrome's buttons (home, language, call staff) go on to the app
        event.stop()

    def send(self) -> None:
        session = self.session
        assert self.level is not None
        rating = Rating(
            self.level,
            service_code=session.last_service_code,
            reference=session.last_reference,
            indicators=tuple(self.indicators),
            real_name=self.real_name and self.level.needs_reason,
        )
        self._queue(rating)
        for wid in ("#rating-levels", *ASK_WHY, "#rating-need", "#rating-actions"):
            self.query_one(wid).display = False
        self.query_one("#rating-thanks").display = True
        self.set_timer(3, lambda: self.kiosk.end_session("done"))

    @work(thread=True, exit_on_error=False, group="rating")
    def _queue(self, rating: Rating) -> None:
        """Off the UI thread (a durable write waits for the disk)."""
        actions.rate(self.services.outbox, self.kiosk.session, rating)
