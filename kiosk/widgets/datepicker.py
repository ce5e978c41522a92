"""On-screen date picker: year, month and day by taps on ＋/－, never typed.

    DatePicker(value=None, earliest=None, latest=None, month_only=False, today=None)
    DatePicker(latest=date.today())                 # a birth or delivery date: not in the future
    DatePicker(earliest=today, latest=today + 60d)  # an appointment
    DatePicker(month_only=True, latest=today)       # 参保起始年月 → value "2026-12"

    on_date_picker_changed(self, m: DatePicker.Changed)  m.value ("2026-12-01"), m.day (date)
    on_date_picker_done(self, m: DatePicker.Done)        m.value: 确定 tapped
    picker.value / picker.day

Each column (2026年 / 12月 / 1日) has its ＋ and － (the year also ＋10 / －10: a birth year
is decades away); a step never leaves the bounds (it stops at them, and the key for a step
that cannot be taken is disabled), and the day is kept within the month (31 March － 1 month
= 28 or 29 February). Below: the date as a person reads it with the weekday, and 确定. The
keys are filled blocks (fill_keys) so that it fits a small or 长辈模式 dialog.
"""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static

from kiosk.i18n import t
from kiosk.validation import Checked, check_date, check_month, human_date, human_month
from kiosk.widgets.checkmessage import CheckMessage, fill_keys, language_of
from kiosk.widgets.chrome import TButton, Translatable

_STEPS = {  # button id suffix → (unit, amount)
    "year-up10": ("year", 10), "year-up": ("year", 1), "year-down": ("year", -1),
    "year-down10": ("year", -10), "month-up": ("month", 1), "month-down": ("month", -1),
    "day-up": ("day", 1), "day-down": ("day", -1),
}  # fmt: skip


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def step(day: dt.date, unit: str, amount: int) -> dt.date:
    """The date one tap away (no bounds): days carry into months, months keep the day."""
    if unit == "day":
        return day + dt.timedelta(days=amount)
    return _add_months(day, amount * (12 if unit == "year" else 1))


class _Picked(Message):
    def __init__(self, picker: DatePicker, value: str, day: dt.date) -> None:
        super().__init__()
        self.picker, self.value, self.day = picker, value, day

    @property
    def control(self) -> DatePicker:
        return self.picker


class DatePicker(Widget, Translatable):
    SCOPED_CSS = False
    DEFAULT_CSS = """
    DatePicker { width: 1fr; max-width: 72; height: auto; }
    DatePicker .date-columns { height: auto; }
    DatePicker .date-column { width: 1fr; height: auto; margin: 0 1; }
    DatePicker .date-steps { height: 2; }
    DatePicker .date-steps Button { width: 1fr; min-width: 5; height: 2; text-style: bold; }
    DatePicker .date-steps Button.-first { margin-right: 1; }
    DatePicker .date-value {
        width: 1fr; height: 3; content-align: center middle; text-style: bold;
        background: $surface; border: round $accent;
    }
    DatePicker .date-bottom { height: 3; margin: 1 1 0 1; }
    DatePicker .date-said { width: 1fr; height: 3; content-align: left middle; }
    DatePicker #date-done { width: 16; height: 3; }
    App.-elder DatePicker { max-width: 96; }
    App.-elder DatePicker .date-steps, App.-elder DatePicker .date-steps Button { height: 3; }
    App.-elder DatePicker .date-steps Button.-first { margin-right: 2; }
    App.-elder DatePicker .date-value { border: heavy $accent; }
    App.-elder DatePicker .date-said { text-style: bold; }
    App.-elder DatePicker #date-done { width: 20; }
    """

    class Changed(_Picked):
        """A ＋/－ tap moved the date."""

    class Done(_Picked):
        """确定 was tapped on a date within the bounds."""

    def __init__(
        self,
        value: dt.date | None = None,
        *,
        earliest: dt.date | None = None,
        latest: dt.date | None = None,
        month_only: bool = False,
        today: dt.date | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.today = today or dt.date.today()
        self.month_only = month_only
        # a month field compares whole months: any day of the bounding month will do
        self.earliest = earliest.replace(day=1) if earliest and month_only else earliest
        self.latest = latest
        self.day = self._clamp(value or self.today)

    def _clamp(self, day: dt.date) -> dt.date:
        if self.month_only:
            day = day.replace(day=1)
        if self.latest is not None and day > self.latest:
            day = self.latest.replace(day=1) if self.month_only else self.latest
        if self.earliest is not None and day < self.earliest:
            day = self.earliest
        return day

    @property
    def value(self) -> str:
        return self.day.strftime("%Y-%m") if self.month_only else self.day.isoformat()

    def compose(self) -> ComposeResult:
        units = ("year", "month") if self.month_only else ("year", "month", "day")
        with Horizontal(classes="date-columns"):
            for unit in units:
                with Vertical(classes=f"date-column date-{unit}"):
                    with Horizontal(classes="date-steps"):
                        first = "date-step -first" if unit == "year" else "date-step"
                        yield Button("＋", id=f"date-{unit}-up", classes=first)
                        if unit == "year":
                            yield Button("＋10", id="date-year-up10", classes="date-step")
                    yield Static(id=f"date-{unit}-value", classes="date-value")
                    with Horizontal(classes="date-steps"):
                        first = "date-step -first" if unit == "year" else "date-step"
                        yield Button("－", id=f"date-{unit}-down", classes=first)
                        if unit == "year":
                            yield Button("－10", id="date-year-down10", classes="date-step")
        yield CheckMessage(classes="date-message")
        with Horizontal(classes="date-bottom"):
            yield Static(classes="date-said")
            yield TButton("pad.done", id="date-done", variant="primary")

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False
        self._show()

    def retranslate(self) -> None:  # the weekday and the date as read change language
        self._show()

    def _can_step(self, unit: str, amount: int) -> bool:
        moved = self._clamp(step(self.day, unit, amount))
        return moved != self.day

    def _show(self) -> None:
        language = language_of(self)
        parts = {"year": self.day.year, "month": self.day.month, "day": self.day.day}
        for unit, number in parts.items():
            for shown in self.query(f"#date-{unit}-value").results(Static):
                name = t(f"date.{unit}", language)  # 2026年 / Year 2026: the unit in place
                shown.update(f"{name} {number}" if language == "en" else f"{number}{name}")
        for suffix, (unit, amount) in _STEPS.items():
            for button in self.query(f"#date-{suffix}"):
                button.disabled = not self._can_step(unit, amount)
        fill_keys(self.query(Button).results(Button), primary="date-done")
        if self.month_only:
            said = human_month(self.day.year, self.day.month, language)
        else:
            weekday = t("date.weekdays", language).split(",")[self.day.weekday()]
            said = f"{human_date(self.day, language)} {weekday}"
        self.query_one(".date-said", Static).update(said)
        checked = self._checked()  # the steps keep to the bounds: a problem is a bad setup
        message = self.query_one(CheckMessage)
        message.show(checked)
        message.display = not checked.ok

    def _checked(self) -> Checked:
        if self.month_only:
            return check_month(
                self.day, earliest=self.earliest, latest=self.latest, today=self.today
            )
        return check_date(self.day, earliest=self.earliest, latest=self.latest, today=self.today)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        name = (event.button.id or "").removeprefix("date-")
        if name == "done":
            event.stop()
            if self._checked().ok:
                self.post_message(self.Done(self, self.value, self.day))
            return
        if name not in _STEPS:
            return
        event.stop()
        unit, amount = _STEPS[name]
        moved = self._clamp(step(self.day, unit, amount))
        if moved != self.day:
            self.day = moved
            self.post_message(self.Changed(self, self.value, self.day))
        self._show()
