"""An address by taps: the division from the region picker, then only the street line on the
pinyin keyboard (本市居住地址: 北京市朝阳区 + 建国路88号).

    AddressInput(code="", detail="", max_length=100, level="county")

    on_address_input_done(self, m: AddressInput.Done)   m.code (GB/T 2260), m.detail,
                                                        m.text ("北京市朝阳区建国路88号")
    address.code / address.detail / address.text

First the region picker; once a division is chosen, its name stays on top with 改地区 (to
choose again) and the keyboard takes the rest. The region picker's and the keyboard's own
Done messages stay inside; the screen gets one Done with the whole address.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static

from kiosk import regions
from kiosk.regions import Level
from kiosk.widgets.checkmessage import in_script, language_of
from kiosk.widgets.chrome import TButton, Translatable
from kiosk.widgets.pinyinkeyboard import PinyinKeyboard
from kiosk.widgets.regionpicker import RegionPicker


class AddressInput(Widget, Translatable):
    SCOPED_CSS = False
    DEFAULT_CSS = """
    AddressInput { width: 1fr; height: 1fr; }
    AddressInput .address-region { height: 3; }
    AddressInput .address-region Static { width: 1fr; height: 3; content-align: left middle; }
    AddressInput .address-region Button { min-width: 12; height: 3; }
    App.-elder AddressInput .address-region Static { text-style: bold; }
    """

    class Done(Message):
        def __init__(self, address: AddressInput, code: str, detail: str) -> None:
            super().__init__()
            self.address, self.code, self.detail = address, code, detail
            self.text = regions.full_name(code) + detail

        @property
        def control(self) -> AddressInput:
            return self.address

    def __init__(
        self,
        code: str = "",
        detail: str = "",
        *,
        max_length: int = 100,
        level: Level = "county",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.level, self.max_length = level, max_length
        self.code = code if code and regions.chosen_down_to(code, level) else ""
        self.detail = detail

    @property
    def text(self) -> str:
        return regions.full_name(self.code) + self.detail if self.code else ""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="address-region"):
            yield Static(classes="address-place")
            yield TButton("address.change", id="address-change")
        yield RegionPicker(self.code, level=self.level, classes="address-picker")
        room = max(1, self.max_length - len(regions.full_name(self.code)))
        yield PinyinKeyboard(self.detail, max_length=room, classes="address-keyboard")

    def on_mount(self) -> None:
        self.query_one("#address-change").can_focus = False
        self._show()

    def retranslate(self) -> None:
        self._show()

    def _show(self) -> None:
        choosing = not self.code
        self.query_one(".address-region").display = not choosing
        self.query_one(RegionPicker).display = choosing
        self.query_one(PinyinKeyboard).display = not choosing
        place = in_script(regions.full_name(self.code), language_of(self))
        self.query_one(".address-place", Static).update(place)

    def on_region_picker_done(self, message: RegionPicker.Done) -> None:
        message.stop()
        self.code = message.code
        keyboard = self.query_one(PinyinKeyboard)
        keyboard.max_length = max(1, self.max_length - len(regions.full_name(self.code)))
        self._show()

    def on_pinyin_keyboard_changed(self, message: PinyinKeyboard.Changed) -> None:
        self.detail = message.value

    def on_pinyin_keyboard_done(self, message: PinyinKeyboard.Done) -> None:
        message.stop()
        self.detail = message.value
        self.post_message(self.Done(self, self.code, self.detail))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "address-change":
            event.stop()
            self.code = ""
            self._show()
