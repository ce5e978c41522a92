"""On-screen pinyin keyboard with Hanzi candidates, for free text where nothing else serves
(a hospital's name, an address line, a search).

    PinyinKeyboard(value="", max_length=40, required=True, mode="pinyin")
    PinyinKeyboard(mode="code")     # plates, permit and certificate numbers: starts in ABC
                                    # (capitals as typed); 中/英 still reaches pinyin (粤B…)

    on_pinyin_keyboard_changed(self, m: PinyinKeyboard.Changed)  m.value (the text so far)
    on_pinyin_keyboard_done(self, m: PinyinKeyboard.Done)        m.value: 确定 tapped
    keyboard.value / keyboard.letters (pinyin typed, not yet turned into Hanzi)

Letters typed on the QWERTY rows gather as pinyin (shown after the text, underlined); the
candidate row offers what they may stand for (kiosk/pinyin.py: words first, 社保 for
"shebao" or "sb", then characters); a tap on one adds it and keeps the letters it did not
use. 中/英 switches the letters to capitals typed as they are (plates, permit numbers).
Digits and a few marks (，。-) are typed as they are. ⌫ takes back a letter, else a
character. Candidates page with ‹ ›, as many a page as the row holds.
"""

from __future__ import annotations

from typing import Literal

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static

from kiosk import pinyin
from kiosk.validation import Checked, Problem
from kiosk.widgets.checkmessage import CheckMessage, fill_keys
from kiosk.widgets.chrome import TButton, Translatable
from kiosk.widgets.numberpad import REPEAT_GUARD_S

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_MARKS = {"comma": "，", "stop": "。", "dash": "-"}
_LETTERS = 24  # pinyin typed ahead of a choice; more is a mistake


class _Typed(Message):
    def __init__(self, keyboard: PinyinKeyboard, value: str) -> None:
        super().__init__()
        self.keyboard, self.value = keyboard, value

    @property
    def control(self) -> PinyinKeyboard:
        return self.keyboard


class PinyinKeyboard(Widget, Translatable):
    SCOPED_CSS = False
    DEFAULT_CSS = """
    PinyinKeyboard { width: 1fr; max-width: 100; height: 1fr; max-height: 32; min-height: 18; }
    PinyinKeyboard .kb-display {
        width: 1fr; height: 3; padding: 0 1; content-align: left middle; text-style: bold;
        background: $surface; border: round $accent;
    }
    PinyinKeyboard .kb-candidates { height: 3; }
    PinyinKeyboard .kb-candidates Button { width: auto; min-width: 6; height: 3; margin: 0 1 0 0; }
    PinyinKeyboard .kb-candidates Button.kb-page { min-width: 5; }
    PinyinKeyboard .kb-keys {
        grid-size: 10 5; grid-gutter: 1 1; height: 1fr; min-height: 9; margin-top: 1;
    }
    PinyinKeyboard .kb-keys Button {
        width: 1fr; height: 1fr; min-width: 3; min-height: 1; text-style: bold;
    }
    PinyinKeyboard .kb-keys Button.-wide { column-span: 2; }
    PinyinKeyboard .kb-keys Button.-done { column-span: 6; }
    PinyinKeyboard .kb-keys Button.-on { text-style: bold reverse; }
    App.-elder PinyinKeyboard { max-width: 120; max-height: 40; }
    App.-elder PinyinKeyboard .kb-display { border: heavy $accent; }
    """

    class Changed(_Typed):
        """The text changed (a candidate, a digit or a mark added, or taken back)."""

    class Done(_Typed):
        """确定 was tapped with no pinyin left unchosen."""

    def __init__(
        self,
        value: str = "",
        *,
        max_length: int = 40,
        required: bool = True,
        mode: Literal["pinyin", "code"] = "pinyin",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.value, self.letters = value[:max_length], ""
        self.max_length, self.required, self.latin = max_length, required, mode == "code"
        self._candidates: list[pinyin.Candidate] = []
        self._page, self._per_page = 0, 6

    # --- view ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(classes="kb-display")
        with Horizontal(classes="kb-candidates"):
            yield Button("‹", id="kb-cand-prev", classes="kb-page")
            for index in range(12):
                yield Button("", id=f"kb-cand-{index}", classes="kb-cand")
            yield Button("›", id="kb-cand-next", classes="kb-page")
        yield CheckMessage(classes="kb-message")
        with Grid(classes="kb-keys"):
            # 10 columns: digits / qwertyuiop / asdfghjkl ⌫ / zxcvbnm ，。- / 中英 清空 确定
            for row in _ROWS:
                for key in row:
                    yield Button(key, id=f"kb-{key}", classes="kb-key")
                if row == _ROWS[2]:
                    yield Button("⌫", id="kb-back", classes="kb-key")
            for name, mark in _MARKS.items():
                yield Button(mark, id=f"kb-{name}", classes="kb-key")
            yield TButton("kb.latin", id="kb-mode", classes="kb-key -wide")
            yield TButton("pad.clear", id="kb-clear", classes="kb-key -wide")
            yield TButton("pad.done", id="kb-done", classes="kb-key -done", variant="primary")

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False
        for key in self.query(".kb-key").results(Button):
            key.active_effect_duration = REPEAT_GUARD_S  # "ll", "88": see numberpad
        self._paint_keys()
        self._show()

    def _paint_keys(self) -> None:
        fill_keys(self.query(".kb-key").results(Button), primary="kb-done")

    def on_resize(self) -> None:
        # as many candidates as the row holds (a word of up to 4 characters is ~12 cells)
        per_page = max(2, min(12, (self.size.width - 14) // 10))
        if per_page != self._per_page:
            self._per_page = per_page
            self._show()

    def retranslate(self) -> None:  # also after 长辈模式 switched the theme
        self._paint_keys()
        self._show()

    def _show(self, problem: Problem | None = None) -> None:
        if not self.is_attached or not self.query(".kb-display"):
            return
        shown = Text.assemble((self.value, "bold"), (self.letters, "underline"), "▏")
        self.query_one(".kb-display", Static).update(shown)
        start = self._page * self._per_page
        page = self._candidates[start : start + self._per_page]
        for index, button in enumerate(self.query(".kb-cand").results(Button)):
            text = page[index].text if index < len(page) else ""
            button.display = bool(text)
            button.label = text
            button.styles.width = cell_len(text) + 6  # borders and padding around it
        self.query_one("#kb-cand-prev").disabled = self._page == 0
        self.query_one("#kb-cand-next").disabled = start + self._per_page >= len(self._candidates)
        self.query_one("#kb-mode").set_class(self.latin, "-on")
        for key in _ROWS[1] + _ROWS[2] + _ROWS[3]:
            self.query_one(f"#kb-{key}", Button).label = key.upper() if self.latin else key
        self.query_one(CheckMessage).show(None if problem is None else Checked("", problem))

    # --- taps ------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        name = (event.button.id or "").removeprefix("kb-")
        if not (event.button.id or "").startswith("kb-"):
            return
        event.stop()
        before = self.value
        problem: Problem | None = None
        if name.startswith("cand-"):
            self._page_or_choose(name.removeprefix("cand-"))
        elif name == "back":
            if self.letters:
                self.letters = self.letters[:-1]
            else:
                self.value = self.value[:-1]
        elif name == "clear":
            self.value, self.letters = "", ""
        elif name == "mode":
            self.latin = not self.latin
        elif name == "done":
            problem = self._finish()
        elif name in _MARKS or name.isdigit():
            self._add(_MARKS.get(name, name))
        elif name.isalpha() and len(name) == 1:
            if self.latin:
                self._add(name.upper())
            elif len(self.letters) < _LETTERS:
                self.letters += name
        if self.value != before:
            self.post_message(self.Changed(self, self.value))
        if name != "cand-prev" and name != "cand-next":
            self._candidates = pinyin.candidates(self.letters, limit=30)
            if not name.startswith("cand"):
                self._page = 0
        self._show(problem)

    def _page_or_choose(self, which: str) -> None:
        if which in ("prev", "next"):
            self._page += 1 if which == "next" else -1
            return
        index = self._page * self._per_page + int(which)
        if index < len(self._candidates):
            chosen = self._candidates[index]
            self._add(chosen.text)
            self.letters = self.letters[chosen.consumed :]
            self._page = 0

    def _add(self, text: str) -> None:
        self.value = (self.value + text)[: self.max_length]

    def _finish(self) -> Problem | None:
        if self.letters:
            return Problem("kb.choose_first", {"letters": self.letters})
        if self.required and not self.value:
            return Problem("kb.empty")
        self.post_message(self.Done(self, self.value))
        return None
