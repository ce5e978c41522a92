"""Journey step: the resident identifies with the ID card on the reader, or inserts the
social security card; the terminal reads it and shows it masked."""

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
    "unsupported_card": "idcard.err.unsupported_card",
}


class CardRead(Message):
    def __init__(self, source: str, card: object | None, error: DeviceError | None) -> None:
        super().__init__()
        self.source, self.card, self.error = source, card, error


class IdCardScreen(KioskScreen):
    IDLE_FACTOR = 1.5

    def __init__(self, then: Callable[[], KioskScreen] | None = None) -> None:
        super().__init__()
        self._then = then  # the journey step after identification (default: the guide)
        self._source = "idcard"  # the reader the identity came from

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
            # Only on emulated readers: lets a demo place a synthetic card.
            yield TButton("idcard.demo", id="idcard-demo", classes="action")
            yield TButton("idcard.demo_ssc", id="idcard-demo-ssc", classes="action")

    def on_mount(self) -> None:
        for wid in ("#idcard-who", "#idcard-take", "#idcard-retry", "#idcard-continue"):
            self.query_one(wid).display = False
        reader, ssc = self.device("idcard"), self.device("smartcard")
        if ssc is not None:
            self.query_one("#idcard-status", TLabel).set_key("idcard.prompt_any")
        self.query_one("#idcard-demo").display = getattr(reader, "emulator", None) is not None
        self.query_one("#idcard-demo-ssc").display = getattr(ssc, "emulator", None) is not None
        if reader is not None and reader.card_present:
            self.read("idcard")
        elif ssc is not None and ssc.card_present:
            self.read("smartcard")

    def device(self, kind: str):  # type: ignore[no-untyped-def]
        return self.app.services.device(kind)  # type: ignore[attr-defined]

    def on_device_event(self, event: DeviceEvent) -> None:
        if event.device not in ("idcard", "smartcard"):
            return
        session = self.app.session  # type: ignore[attr-defined]
        if event.kind is EventKind.CARD_PLACED and (session is None or session.identity is None):
            self.read(event.device)
        elif event.kind is EventKind.CARD_REMOVED and event.device == self._source:
            self.query_one("#idcard-take").display = False

    def read(self, source: str) -> None:
        self.query_one("#idcard-status", TLabel).set_key("idcard.reading")
        self.query_one("#idcard-retry").display = False
        self._source = source
        self._read_card(source)

    @work(thread=True, exclusive=True, exit_on_error=False, group="idcard")
    def _read_card(self, source: str) -> None:
        reader = self.device(source)
        try:
            if reader is None:
                raise DeviceError("no_device", f"no {source} reader configured")
            card = reader.read_card() if source == "idcard" else reader.read_social_security()
            self.post_message(CardRead(source, card, None))
        except DeviceError as exc:
            self.post_message(CardRead(source, None, exc))

    def on_card_read(self, message: CardRead) -> None:
        status = self.query_one("#idcard-status", TLabel)
        if message.error is not None and message.error.code == "busy":
            return  # a read already under way (card placed while the screen opened) answers
        session_identity = self.app.session.identity if self.app.session else None  # type: ignore[attr-defined]
        if message.error is not None and session_identity is not None:
            return  # a second read failed after the first succeeded: keep the good one
        if message.error is not None:
            status.set_key(ERROR_KEYS.get(message.error.code, "idcard.err.device"))
            self.query_one("#idcard-retry").display = True
            return
        session = self.app.session or self.app.start_session()  # type: ignore[attr-defined]
        session.identity = card = message.card
        status.set_key("idcard.done")
        self.query_one("#idcard-who", TLabel).set_key(
            "idcard.who",
            name=mask_name(card.name or getattr(card, "name_en", "")),  # type: ignore[attr-defined]
            number=mask_id_number(card.id_number),  # type: ignore[attr-defined]
        )
        self.query_one("#idcard-who").display = True
        self.query_one("#idcard-continue").display = True
        self.query_one("#idcard-demo").display = self.query_one("#idcard-demo-ssc").display = False
        # A card left in the reader is the most common thing residents forget.
        reader = self.device(message.source)
        self.query_one("#idcard-take").display = bool(reader and reader.card_present)

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "idcard-retry":
            self.read(self._source)
        elif event.button.id == "idcard-demo":
            self.device("idcard").emulator.place_card("resident")
        elif event.button.id == "idcard-demo-ssc":
            from kiosk.devices.smartcard.cards import demo_card

            self.device("smartcard").emulator.insert(demo_card("social_security"))
        elif event.button.id == "idcard-continue":
            if self._then is not None:
                self.move_on(self._then())
            else:
                self.app.open_journey("guide")  # type: ignore[attr-defined]
        else:
            return
        event.stop()

    def forget_resident(self) -> None:
        self.query_one("#idcard-who", TLabel).set_key("idcard.name")
