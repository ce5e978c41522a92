"""One form field's on-screen input: a number pad, a date or region picker, or the pinyin
keyboard as the last resort. No hardware keyboard is needed anywhere."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from kiosk.resident import forms
from kiosk.resident.service import FormField, InputKind, Language
from kiosk.screens.base import kiosk_app
from kiosk.widgets.chrome import TButton

if TYPE_CHECKING:  # each input widget is loaded only when its kind of field is opened
    from kiosk.widgets.addressinput import AddressInput
    from kiosk.widgets.datepicker import DatePicker
    from kiosk.widgets.numberpad import NumberPad
    from kiosk.widgets.pinyinkeyboard import PinyinKeyboard
    from kiosk.widgets.regionpicker import RegionPicker


class FieldInputScreen(ModalScreen[str | None]):
    def __init__(self, field: FormField, current: str) -> None:
        super().__init__()
        self.field, self.current = field, current

    @property
    def language(self) -> Language:
        return kiosk_app(self).language

    def compose(self) -> ComposeResult:
        with Vertical(id="input-box"):
            yield Static(self.field.label(self.language), id="input-label", classes="title")
            yield self._input_widget()
            with Horizontal(id="input-actions"):
                yield TButton("input.cancel", id="input-cancel", classes="action")

    def retranslate(self) -> None:
        self.query_one("#input-label", Static).update(self.field.label(self.language))

    def _input_widget(self) -> Widget:
        kind = self.field.input_kind
        if kind is InputKind.CODE:
            from kiosk.widgets.pinyinkeyboard import PinyinKeyboard

            return PinyinKeyboard(value=self.current, mode="code", id="input-widget")
        if kind in (InputKind.PHONE, InputKind.ID_NUMBER, InputKind.DIGITS):
            from kiosk.widgets.numberpad import NumberPad

            field = self.field  # the pad checks as the form will (bounds, lengths)
            return NumberPad(
                kind=self.field.number_kind, value=self.current, id="input-widget",
                check=lambda raw: forms.check(field, raw),
            )  # fmt: skip
        if kind is InputKind.DATE:
            from kiosk.resident.forms import date_bounds
            from kiosk.widgets.datepicker import DatePicker

            earliest, latest = date_bounds(self.field)
            try:
                day = dt.date.fromisoformat(self.current) if self.current else None
            except ValueError:
                day = None
            return DatePicker(
                day, earliest=earliest, latest=latest,
                month_only=self.field.name.endswith("month"), id="input-widget",
            )  # fmt: skip
        if kind is InputKind.REGION:
            from kiosk.widgets.regionpicker import RegionPicker

            return RegionPicker(self.current, level=self.field.region_level, id="input-widget")
        if kind is InputKind.ADDRESS:
            from kiosk.widgets.addressinput import AddressInput

            return AddressInput(detail=self.current, max_length=self.field.max_length,
                                id="input-widget")  # fmt: skip

        from kiosk.widgets.pinyinkeyboard import PinyinKeyboard

        return PinyinKeyboard(value=self.current, id="input-widget")

    # Every input widget ends with a `Done` message carrying the checked value.
    def _done(self, message: Message, value: str) -> None:
        message.stop()
        self.dismiss(value)

    def on_number_pad_done(self, message: NumberPad.Done) -> None:
        self._done(message, message.value)

    def on_date_picker_done(self, message: DatePicker.Done) -> None:
        self._done(message, message.value)

    def on_region_picker_done(self, message: RegionPicker.Done) -> None:
        self._done(message, message.code)

    def on_address_input_done(self, message: AddressInput.Done) -> None:
        self._done(message, message.text)

    def on_pinyin_keyboard_done(self, message: PinyinKeyboard.Done) -> None:
        self._done(message, message.value)

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "input-cancel":
            event.stop()
            self.dismiss(None)
