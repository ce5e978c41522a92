"""On-screen number pad for phone, ID, reference and card numbers, years and amounts.

    pad = NumberPad(kind="phone", value="", masked=False)   # id= / classes= as usual
    NumberPad(kind="id_number")                # adds the X key (last character only)
    NumberPad(kind="amount")                   # adds the decimal point
    NumberPad(kind="reference", prefix="ZW")   # the prefix is shown and kept; digits follow
    NumberPad(kind="integer", minimum=1990, maximum=2026, max_length=4)
    NumberPad(kind="reference", check=lambda raw: forms.check(field, raw))
                                               # the form's own check, so the pad's 确定 and
                                               # the review page never disagree

    on_number_pad_changed(self, m: NumberPad.Changed)   m.value (normalised), m.checked
    on_number_pad_done(self, m: NumberPad.Done)         m.value: 确定 tapped on a right value
    pad.value / pad.checked / pad.set_value("138…")

Layout: the value on top (grouped like a printed number: 138 1234 5678, or masked as on
paper with `masked=True`, slots left shown as ·), the live check line, then a 4×4 grid:
    1 2 3 ⌫ / 4 5 6 清空 / 7 8 9 确定 / X 0 . (确定 spans two rows)
Keys that do not apply to the kind stay in place but hidden, so digits never move.
Each key is a Button with the repo's double-tap guard (a key ignores a second touch while its
press effect shows), shortened to 0.12 s so that 88 typed briskly keeps both digits; tests
touch keys with tests/conftest.py `tap`.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static

from kiosk import privacy
from kiosk.resident.service import NumberKind
from kiosk.validation import (
    ID_LENGTH,
    PHONE_LENGTH,
    Checked,
    check_amount,
    check_bank_card,
    check_id_number,
    check_integer,
    check_phone,
    check_reference,
)
from kiosk.widgets.checkmessage import CheckMessage, fill_keys
from kiosk.widgets.chrome import TButton, Translatable

REPEAT_GUARD_S = 0.12  # a key ignores a second touch this soon (a bounce, not a 2nd digit)
PadKind = NumberKind  # a pad for each way a form checks a number
_LENGTH: dict[PadKind, int] = {
    "phone": PHONE_LENGTH, "id_number": ID_LENGTH, "bank_card": 19, "reference": 24,
    "integer": 9, "amount": 12,
}  # fmt: skip
_GROUPS: dict[PadKind, tuple[int, ...]] = {  # how the number is printed, to read it back
    "phone": (3, 4, 4), "id_number": (6, 8, 4), "bank_card": (4, 4, 4, 4, 3),
}  # fmt: skip


class NumberPad(Widget, Translatable):
    SCOPED_CSS = False
    DEFAULT_CSS = """
    NumberPad { width: 1fr; max-width: 64; height: 1fr; max-height: 30; }
    NumberPad .pad-display {
        width: 1fr; height: 3; content-align: center middle; text-style: bold;
        background: $surface; color: $foreground; border: round $accent;
    }
    NumberPad .pad-keys {
        grid-size: 4 4; grid-columns: 1fr 1fr 1fr 1fr; grid-rows: 1fr; grid-gutter: 1 1;
        height: 1fr; min-height: 7; margin-top: 1;
    }
    NumberPad .pad-keys Button { width: 1fr; height: 1fr; min-width: 5; text-style: bold; }
    NumberPad .pad-keys Button.-unused { visibility: hidden; }
    NumberPad #pad-done { row-span: 2; }
    App.-elder NumberPad { max-width: 80; max-height: 36; }
    App.-elder NumberPad .pad-display { border: heavy $accent; }
    App.-elder NumberPad .pad-message { text-style: bold; }
    App.-elder NumberPad .pad-keys { grid-gutter: 1 2; }
    """

    class Changed(Message):
        """The value changed (a key was touched); `checked` says what is still to fix."""

        def __init__(self, pad: NumberPad, value: str, checked: Checked) -> None:
            super().__init__()
            self.pad, self.value, self.checked = pad, value, checked

        @property
        def control(self) -> NumberPad:
            return self.pad

    class Done(Message):
        """确定 was touched on a value that passed its check."""

        def __init__(self, pad: NumberPad, value: str) -> None:
            super().__init__()
            self.pad, self.value = pad, value

        @property
        def control(self) -> NumberPad:
            return self.pad

    def __init__(
        self,
        kind: PadKind = "phone",
        value: str = "",
        *,
        masked: bool = False,
        prefix: str = "",
        max_length: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
        check: Callable[[str], Checked] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.kind, self.masked, self.prefix = kind, masked, prefix.upper()
        self.max_length = max_length or _LENGTH[kind]
        self._checker: Callable[[str], Checked] = check or self._make_checker(minimum, maximum)
        self._value, self._ready = "", False
        self._value = self._accept(value)

    def _make_checker(self, minimum: int | None, maximum: int | None) -> Callable[[str], Checked]:
        kind = self.kind
        if kind == "phone":
            return check_phone
        if kind == "id_number":
            return check_id_number
        if kind == "bank_card":
            return check_bank_card
        if kind == "amount":
            return lambda raw: check_amount(raw, maximum=maximum)
        if kind == "integer":
            return lambda raw: check_integer(raw, minimum=minimum, maximum=maximum)
        exact = self.max_length if self.max_length != _LENGTH["reference"] else None
        return lambda raw: check_reference(raw, prefix=self.prefix, length=exact, min_length=6)

    # --- state ---------------------------------------------------------------------------
    @property
    def value(self) -> str:
        """What the resident entered, normalised by its check (ID: upper-case X; amount:
        two decimals once complete)."""
        return self.checked.value

    @property
    def checked(self) -> Checked:
        return self._checker(self._value)

    def set_value(self, value: str) -> None:
        self._value = self._accept(value)
        self._show()

    def _accept(self, value: str) -> str:
        value = "".join(value.split()).upper()
        if self.prefix and not value.startswith(self.prefix):
            value = self.prefix + value
        return value[: self.max_length]

    # --- view ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(classes="pad-display")
        yield CheckMessage(classes="pad-message")
        with Grid(classes="pad-keys"):
            for row in ("123", "456", "789"):
                for digit in row:
                    yield Button(digit, id=f"pad-{digit}", classes="pad-key")
                if row == "123":
                    yield TButton("pad.back", id="pad-back", classes="pad-key pad-edit")
                elif row == "456":
                    yield TButton("pad.clear", id="pad-clear", classes="pad-key pad-edit")
                else:
                    yield TButton("pad.done", id="pad-done", classes="pad-key", variant="primary")
            yield Button("X", id="pad-x", classes="pad-key" + self._unused("id_number"))
            yield Button("0", id="pad-0", classes="pad-key")
            yield Button(".", id="pad-dot", classes="pad-key" + self._unused("amount"))

    def retranslate(self) -> None:  # after 长辈模式 switched the theme: the keys' colours
        fill_keys(self.query(".pad-key").results(Button), primary="pad-done")

    def _unused(self, kind: PadKind) -> str:
        return "" if self.kind == kind else " -unused"

    def on_mount(self) -> None:
        for key in self.query(".pad-key").results(Button):
            key.can_focus = False  # touch only: no focus ring, nothing to tab to
            # a finger's bounce repeats within ~0.1 s; a deliberate 88 comes later than the
            # Button's 0.2 s guard would allow for a brisk typist
            key.active_effect_duration = REPEAT_GUARD_S
        self._ready = True
        self.retranslate()
        self._show()

    def _display_text(self) -> str:
        value = self._value
        if self.masked and value:
            mask = {
                "phone": privacy.mask_phone, "id_number": privacy.mask_id_number,
            }.get(self.kind, privacy.mask_card_number)  # fmt: skip
            value = mask(value)
        groups = _GROUPS.get(self.kind)
        if groups is None:
            return value or "·"
        # fixed-length numbers show the slots still to fill: 138 1234 ····
        slots = value.ljust(sum(groups), "·")[: max(sum(groups), len(value))]
        parts, at = [], 0
        for size in groups:
            parts.append(slots[at : at + size])
            at += size
        return " ".join(p for p in parts if p)

    def _show(self, *, insist: bool = False) -> None:
        if not self._ready:  # set_value before mounting: shown on mount
            return
        self.query_one(".pad-display", Static).update(self._display_text())
        self.query_one(CheckMessage).show(self.checked, insist=insist, ok_key="pad.ok")

    # --- keys ------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        key = event.button.id or ""
        if not key.startswith("pad-"):
            return
        event.stop()
        key = key.removeprefix("pad-")
        if key == "done":
            checked = self.checked
            if checked.ok:
                self.post_message(self.Done(self, checked.value))
            self._show(insist=not checked.ok)
            return
        before = self._value
        if key == "back":
            if len(self._value) > len(self.prefix):
                self._value = self._value[:-1]
        elif key == "clear":
            self._value = self.prefix
        elif len(self._value) < self.max_length:
            self._value += {"x": "X", "dot": "."}.get(key, key)
        if self._value != before:
            self.post_message(self.Changed(self, self.checked.value, self.checked))
        self._show()
