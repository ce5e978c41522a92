"""The attract / home screen: the five ways in, big enough for a fingertip."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Button

from kiosk.devices.base import DeviceEvent, EventKind
from kiosk.screens.base import KioskScreen
from kiosk.widgets.bigtext import BigText
from kiosk.widgets.chrome import TButton, TLabel

# (button id, i18n key, device the action needs or None). 长辈模式 shows fewer choices:
# scanning a phone QR code is hidden there, the ID card covers the same need.
ACTIONS = (
    ("home-idcard", "home.idcard", "idcard"),
    ("home-scan", "home.scan", "camera"),
    ("home-guide", "home.guide", None),
    ("home-ticket", "home.ticket", None),
    ("home-progress", "home.progress", None),
)


class HomeScreen(KioskScreen):
    SHOW_HOME = False
    SHOW_BACK = False

    def compose_body(self) -> ComposeResult:
        yield BigText(id="welcome-big", classes="elder-only")
        yield TLabel("home.welcome", id="welcome", classes="title normal-only")
        yield TLabel("home.hint", id="hint", classes="hint")
        with Grid(id="home-actions"):
            for button_id, key, _device in ACTIONS:
                extra = " normal-only" if button_id == "home-scan" else ""
                yield TButton(
                    key, id=button_id, classes="action" + extra, variant="primary", big=True
                )
        yield TLabel("home.hint", id="home-message", classes="message")

    def on_mount(self) -> None:
        self.query_one("#home-message", TLabel).display = False
        self.retranslate()

    def retranslate(self) -> None:
        big = self.query_one("#welcome-big", BigText)
        big.update(self.query_one("#welcome", TLabel).text_for(self.kiosk.language))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        for button_id, key, device in ACTIONS:
            if event.button.id != button_id:
                continue
            event.stop()
            if device and not self.kiosk.device_usable(device):
                message = self.query_one("#home-message", TLabel)
                message.set_key("home.unavailable", name=self.kiosk.t(key))
                message.display = True
                return
            self.query_one("#home-message", TLabel).display = False
            self.kiosk.open_journey(button_id.removeprefix("home-"))

    def spoken_prompt(self) -> str | None:
        return self.kiosk.t("home.hint")

    def on_device_event(self, event: DeviceEvent) -> None:
        # An ID card placed on the attract screen says "it is me": identify at once.
        if (event.device == "idcard" and event.kind is EventKind.CARD_PLACED
                and self.kiosk.screen is self and not self.services.locked):  # fmt: skip
            self.kiosk.open_journey("idcard")

    def forget_resident(self) -> None:
        self.query_one("#home-message", TLabel).display = False

    def show_card_left(self, reader: str | None) -> None:
        """A card is still in `reader` after its owner's session ended (None: it was taken)."""
        message = self.query_one("#home-message", TLabel)
        if reader is not None:
            message.set_key("idcard.card_left" if reader == "idcard" else "idcard.ssc_left")
            message.display = True
            self.app.bell()
        elif message.i18n_key in ("idcard.card_left", "idcard.ssc_left"):
            message.display = False
