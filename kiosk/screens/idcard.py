"""Journey step: the resident places the ID card; the terminal reads it and shows it masked."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message

from kiosk.devices.base import DeviceError, DeviceEvent, EventKind
from kiosk.privacy import mask_id_number, mask_name
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

ERROR_KEYS = {
    "no_card": "idcard.err.no_card",
    "card_removed": "idcard.err.card_removed",
    "read_failed": "idcard.err.read_failed",
    "checksum": "idcard.err.read_failed",
    "timeout": "idcard.err.timeout",
}


class CardRead(Message):
    def __init__(self, card: object | None, error: DeviceError | None) -> None:
        super().__init__()
        self.card, self.error = card, error


class IdCardScreen(KioskScreen):
    IDLE_FACTOR = 1.5

    def __init__(self, then: Callable[[], KioskScreen] | None = None) -> None:
        super().__init__()
        self._then = then  # the journey step after identification (default: the guide)

    def compose_body(self) -> ComposeResult:
        yield TLabel("idcard.title", classes="title")
        yield TLabel("idcard.prompt", id="idcard-status", classes="hint")
        yield TLabel("idcard.name", id="idcard-who", classes="who")
        yield TLabel("idcard.take_card", id="idcard-take", classes="message")
        with Horizontal(id="idcard-actions"):
            yield TButton("idcard.retry", id="idcard-retry", classes="action")
            yield TButton(
                "idcard.continue", id="idcard-continue", classes="action", variant="success"
            )
            # Only on an emulated reader: lets a demo place a synthetic card.
            yield TButton("idcard.demo", id="idcard-demo", classes="action")

    def on_mount(self) -> None:
        for wid in ("#idcard-who", "#idcard-take", "#idcard-retry", "#idcard-continue"):
            self.query_one(wid).display = False
        reader = self.app.services.device("idcard")  # type: ignore[attr-defined]
        self.query_one("#idcard-demo").display = getattr(reader, "emulator", None) is not None
        if reader is not None and reader.card_present:
            self.read()

    @property
    def reader(self):  # type: ignore[no-untyped-def]
        return self.app.services.device("idcard")  # type: ignore[attr-defined]

    def on_device_event(self, event: DeviceEvent) -> None:
        if event.device != "idcard":
            return
        session = self.app.session  # type: ignore[attr-defined]
        if event.kind is EventKind.CARD_PLACED and (session is None or session.identity is None):
            self.read()
        elif event.kind is EventKind.CARD_REMOVED:
            self.query_one("#idcard-take").display = False

    def read(self) -> None:
        self.query_one("#idcard-status", TLabel).set_key("idcard.reading")
        self.query_one("#idcard-retry").display = False
        self._read_card()

    @work(thread=True, exclusive=True, exit_on_error=False, group="idcard")
    def _read_card(self) -> None:
        reader = self.reader
        try:
            if reader is None:
                raise DeviceError("no_device", "no ID card reader configured")
            self.post_message(CardRead(reader.read_card(), None))
        except DeviceError as exc:
            self.post_message(CardRead(None, exc))

    def on_card_read(self, message: CardRead) -> None:
        status = self.query_one("#idcard-status", TLabel)
        if message.error is not None:
            status.set_key(ERROR_KEYS.get(message.error.code, "idcard.err.device"))
            self.query_one("#idcard-retry").display = True
            return
        session = self.app.session or self.app.start_session()  # type: ignore[attr-defined]
        session.identity = message.card
        card = message.card
        status.set_key("idcard.done")
        self.query_one("#idcard-who", TLabel).set_key(
            "idcard.who",
            name=mask_name(card.name or card.name_en),  # type: ignore[attr-defined]
            number=mask_id_number(card.id_number),  # type: ignore[attr-defined]
        )
        self.query_one("#idcard-who").display = True
        self.query_one("#idcard-continue").display = True
        self.query_one("#idcard-demo").display = False
        # A card left on the reader is the most common thing residents forget.
        self.query_one("#idcard-take").display = bool(self.reader and self.reader.card_present)

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "idcard-retry":
            self.read()
        elif event.button.id == "idcard-demo":
            self.reader.emulator.place_card("resident")
        elif event.button.id == "idcard-continue":
            if self._then is not None:
                self.app.switch_screen(self._then())
            else:
                self.app.open_journey("guide")  # type: ignore[attr-defined]
        else:
            return
        event.stop()

    def forget_resident(self) -> None:
        self.query_one("#idcard-who", TLabel).set_key("idcard.name")
