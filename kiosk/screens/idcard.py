"""Journey step 核验身份: the resident places the ID card on the reader (or inserts the social
security card); the terminal reads it and shows it masked. A card left behind by the last
resident is never read for the next one: it has to be taken out and put back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button

from kiosk.devices.base import DeviceError, DeviceEvent, EventKind
from kiosk.resident import actions
from kiosk.resident.frequent import FREQUENT, frequent
from kiosk.resident.identity import Identity, masked_id_number, masked_name
from kiosk.resident.steps import Kind
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

if TYPE_CHECKING:
    from kiosk.devices.idcard.reader import IdCardReader
    from kiosk.devices.smartcard.reader import SmartCardReader

ERROR_KEYS = {
    "no_card": "idcard.err.no_card",
    "card_removed": "idcard.err.card_removed",
    "read_failed": "idcard.err.read_failed",
    "checksum": "idcard.err.read_failed",
    "timeout": "idcard.err.timeout",
    "unsupported_card": "idcard.err.unsupported_card",
}
READERS = ("idcard", "smartcard")


class CardRead(Message):
    def __init__(self, source: str, identity: Identity | None, error: DeviceError | None) -> None:
        super().__init__()
        self.source, self.identity, self.error = source, identity, error


class IdCardScreen(KioskScreen):
    IDLE_FACTOR = 1.5

    def __init__(self) -> None:
        super().__init__()
        self._source = "idcard"  # the reader the identity came from
        self._reading = False
        self._tried: set[str] = set()  # readers read on their own once; then 重试 is theirs

    def compose_body(self) -> ComposeResult:
        yield TLabel("idcard.title", classes="title")
        yield TLabel("idcard.prompt", id="idcard-status", classes="hint")
        yield TLabel("idcard.name", id="idcard-who", classes="who")
        yield TLabel("idcard.take_card", id="idcard-take", classes="message")
        # Identified from the home screen: the most used services at once, then the rest.
        yield Horizontal(id="idcard-quick")
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
        reader, ssc = self.services.device("idcard"), self.services.device("smartcard")
        if ssc is not None:
            self.query_one("#idcard-status", TLabel).set_key("idcard.prompt_any")
        self.query_one("#idcard-demo").display = getattr(reader, "emulator", None) is not None
        self.query_one("#idcard-demo-ssc").display = getattr(ssc, "emulator", None) is not None
        identity = self.kiosk.session.identity if self.kiosk.session else None
        if identity is not None:  # back here with 上一步: show who, offer to go on
            self._show_identity(identity)
            return
        self.read_present_card()
        # A card placed while this step was still being shown may have announced itself
        # before the step could hear it: look again until someone is identified.
        self._watch = self.set_interval(1.0, self.read_present_card)

    def read_present_card(self) -> None:
        session = self.kiosk.session
        if (session is not None and session.identity is not None) or self._reading:
            return
        for kind in READERS:
            device = self.services.device(kind)
            if device is None or not getattr(device, "card_present", False):
                continue
            if kind in self.kiosk.stale_cards:
                self.query_one("#idcard-status", TLabel).set_key("idcard.reinsert")
                continue
            if kind not in self._tried:
                self._tried.add(kind)
                self.read(kind)
            break

    def on_device_event(self, event: DeviceEvent) -> None:
        if event.device not in READERS:
            return
        session = self.kiosk.session
        if event.kind is EventKind.CARD_PLACED and (session is None or session.identity is None):
            self._tried.add(event.device)
            self.read(event.device)
        elif event.kind is EventKind.CARD_REMOVED:
            self._tried.discard(event.device)  # a card put back is read again
        if event.kind is EventKind.CARD_REMOVED and event.device == self._source:
            self.query_one("#idcard-take").display = False

    def _reader(self, source: str) -> IdCardReader | SmartCardReader | None:
        """The reader of a source in READERS."""
        return self.services.idcard if source == "idcard" else self.services.smartcard

    def read(self, source: str) -> None:
        self._reading = True
        self.query_one("#idcard-status", TLabel).set_key("idcard.reading")
        self.query_one("#idcard-retry").display = False
        self._source = source
        self._read_card(source)

    @work(thread=True, exclusive=True, exit_on_error=False, group="idcard")
    def _read_card(self, source: str) -> None:
        reader = self._reader(source)
        try:
            if reader is None:
                raise DeviceError("no_device", f"no {source} reader configured")
            identity = actions.read_card(reader, source)
            self.post_message(CardRead(source, identity, None))
        except DeviceError as exc:
            self.post_message(CardRead(source, None, exc))

    def on_card_read(self, message: CardRead) -> None:
        self._reading = False
        status = self.query_one("#idcard-status", TLabel)
        if message.error is not None and message.error.code == "busy":
            return  # a read already under way (card placed while the screen opened) answers
        session_identity = self.kiosk.session.identity if self.kiosk.session else None
        if message.error is not None and session_identity is not None:
            return  # a second read failed after the first succeeded: keep the good one
        if message.error is not None or message.identity is None:
            code = message.error.code if message.error else ""
            status.set_key(ERROR_KEYS.get(code, "idcard.err.device"))
            self.query_one("#idcard-retry").display = True
            return
        actions.identify(self.session, message.identity)
        self._show_identity(message.identity)
        # A card left in the reader is the most common thing residents forget.
        reader = self._reader(message.source)
        self.query_one("#idcard-take").display = bool(reader and reader.card_present)

    def _show_identity(self, identity: Identity) -> None:
        self._show_frequent()
        self.query_one("#idcard-status", TLabel).set_key("idcard.done")
        who = self.query_one("#idcard-who", TLabel)
        who.set_key("idcard.who", name=masked_name(identity), number=masked_id_number(identity))
        who.display = True
        self.query_one("#idcard-continue").display = True
        self.query_one("#idcard-demo").display = self.query_one("#idcard-demo-ssc").display = False

    def _show_frequent(self) -> None:
        """Only where the resident has not chosen a service yet (identified first)."""
        if self.journey is None or self.journey.kind is not Kind.IDENTIFY:
            return
        box = self.query_one("#idcard-quick", Horizontal)
        if box.children:
            return
        language = self.kiosk.language
        box.mount_all(
            Button(s.name(language), id=f"quick-{s.code}", name=s.code,
                   classes="action quick" + ("" if s.code in FREQUENT else " normal-only"))
            for s in frequent(self.services.catalog.all_services())
        )  # fmt: skip
        self.query_one("#idcard-continue", TButton).set_key("idcard.more")

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.has_class("quick"):
            service = self.services.catalog.service(event.button.name or "")
            if service is not None:
                self.kiosk.begin_service(service)
        elif event.button.id == "idcard-retry":
            self.read(self._source)
        elif event.button.id == "idcard-demo":
            self.services.demo_place_card("idcard")
        elif event.button.id == "idcard-demo-ssc":
            self.services.demo_place_card("smartcard")
        elif event.button.id == "idcard-continue":
            self.move_on()
        else:
            return
        event.stop()

    def forget_resident(self) -> None:
        self.query_one("#idcard-who", TLabel).set_key("idcard.name")
