"""Journey step 好差评 (GB/T 39046-2020): five levels, 1 = 非常满意 … 5 = 非常不满意; 不满意
and 非常不满意 ask why (indicators) and offer a real-name follow-up. Never forced: 跳过 is
always there.

长辈模式 keeps the five codes but never shows more than four choices: 满意 or 不满意 first,
then how much (非常满意 / 满意 / 基本满意, or 不满意 / 非常不满意), then the reasons three at
a time beside the follow-up offer."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Button

from kiosk.resident import actions
from kiosk.resident.rating import INDICATORS, Rating, Satisfaction, levels_for
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

REASONS_PER_PAGE = 3  # 长辈模式: three reasons and the follow-up offer are four choices


def _level_of(button: Button) -> Satisfaction:
    return Satisfaction(int((button.id or "level-1").removeprefix("level-")))


class RatingScreen(KioskScreen):
    IDLE_FACTOR = 1.5

    def __init__(self) -> None:
        super().__init__()
        self.level: Satisfaction | None = None
        self.indicators: list[str] = []
        self.real_name = False
        self.satisfied: bool | None = None  # 长辈模式's first answer
        self.reason_page = 0
        self.sent = False

    def compose_body(self) -> ComposeResult:
        yield TLabel("rating.title", classes="title")
        yield TLabel("rating.how_good", id="rating-how", classes="hint")
        # Both answers look alike: a 好差评 must not steer the resident to 满意.
        with Grid(id="rating-coarse"):
            yield TButton("rating.coarse.good", id="coarse-good", classes="action coarse")
            yield TButton("rating.coarse.bad", id="coarse-bad", classes="action coarse")
        with Grid(id="rating-levels"):
            for level in Satisfaction:
                yield TButton(f"rating.level.{int(level)}", id=f"level-{int(level)}",
                              classes="action level")  # fmt: skip
        yield TLabel("rating.why", id="rating-why", classes="hint")
        with Horizontal(id="rating-indicators"):
            for code in INDICATORS:
                yield TButton(f"rating.ind.{code}", id=f"ind-{code}", classes="indicator reason")
        with Horizontal(id="rating-follow"):
            yield TButton("rating.real_name", id="rating-real-name", classes="indicator")
            yield TButton("guide.next", id="rating-page", classes="pager")
        yield TLabel("rating.need_reason", id="rating-need", classes="message")
        with Horizontal(id="rating-actions"):
            yield TButton("rating.regroup", id="rating-regroup", classes="action")
            yield TButton("rating.send", id="rating-send", classes="action", variant="success")
            yield TButton("rating.skip", id="rating-skip", classes="action")
        yield TLabel("rating.thanks", id="rating-thanks", classes="title")

    def on_mount(self) -> None:
        self.query_one("#rating-need").display = False
        self._show()

    def retranslate(self) -> None:  # also after 长辈模式 is switched on or off
        self._show()

    def _show(self) -> None:
        """What is offered now, from the answers so far and the mode."""
        elder, level = self.kiosk.elder, self.level
        asking_why = level is not None and level.needs_reason and not self.sent
        satisfied = self.satisfied if level is None else not level.needs_reason
        if self.sent:
            levels: tuple[Satisfaction, ...] = ()
        elif not elder:
            levels = tuple(Satisfaction)
        elif satisfied is None or asking_why:
            levels = ()
        else:
            levels = levels_for(satisfied)
        coarse = elder and satisfied is None and not self.sent
        self.query_one("#rating-coarse").display = coarse
        how = self.query_one("#rating-how", TLabel)
        key = "rating.how_good" if satisfied else "rating.how_bad"
        if satisfied is not None and how.i18n_key != key:
            how.set_key(key)  # spoken once shown: the new question
        how.display = elder and bool(levels)
        grid = self.query_one("#rating-levels")
        grid.display = bool(levels)
        grid.styles.grid_size_columns = max(1, len(levels))
        for button in self.query(".level").results(Button):
            button.display = _level_of(button) in levels
        page = INDICATORS[self.reason_page * REASONS_PER_PAGE :][:REASONS_PER_PAGE]
        for button in self.query(".reason").results(Button):
            code = (button.id or "").removeprefix("ind-")
            button.display = not elder or code in page
        for wid in ("#rating-why", "#rating-indicators", "#rating-follow"):
            self.query_one(wid).display = asking_why
        pager = self.query_one("#rating-page", TButton)
        pager.display = elder and asking_why
        pager.set_key("guide.prev" if self.reason_page else "guide.next")
        self.query_one("#rating-actions").display = not self.sent
        self.query_one("#rating-regroup").display = elder and not coarse and not self.sent
        self.query_one("#rating-send").display = level is not None and not self.sent
        self.query_one("#rating-thanks").display = self.sent

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button
        if button.has_class("coarse"):
            self.satisfied = button.id == "coarse-good"
        elif button.has_class("level"):
            self.level = _level_of(button)
            for other in self.query(".level"):
                other.set_class(other is button, "-chosen")
            self.query_one("#rating-need").display = False
        elif button.id == "rating-regroup":
            self.level, self.satisfied, self.reason_page = None, None, 0
            self.indicators.clear()
            for chosen in self.query(".level, .indicator"):
                chosen.remove_class("-chosen")
            self.real_name = False
            self.query_one("#rating-need").display = False
        elif button.id == "rating-page":
            pages = -(-len(INDICATORS) // REASONS_PER_PAGE)
            self.reason_page = (self.reason_page + 1) % pages
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
        self._show()

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
        self.sent = True
        self.query_one("#rating-need").display = False
        self.set_timer(3, lambda: self.kiosk.end_session("done"))

    @work(thread=True, exit_on_error=False, group="rating")
    def _queue(self, rating: Rating) -> None:
        """Off the UI thread (a durable write waits for the disk)."""
        actions.rate(self.services.outbox, self.kiosk.session, rating)
