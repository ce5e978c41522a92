"""Journey step 核验身份 by the QR code from the resident's phone (电子证照 / 扫码登录).

The platform verifies the one-time token and answers who it belongs to; from then on the
resident is identified as with a card."""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message

from kiosk.resident import actions
from kiosk.resident.identity import Identity, masked_id_number, masked_name
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class QrResult(Message):
    def __init__(self, outcome: str, identity: Identity | None = None) -> None:
        super().__init__()
        self.outcome, self.identity = outcome, identity


class ScanScreen(KioskScreen):
    def compose_body(self) -> ComposeResult:
        yield TLabel("scan.title", classes="title")
        yield TLabel("scan.prompt", id="scan-status", classes="hint")
        yield TLabel("idcard.name", id="scan-who", classes="who")
        with Horizontal(id="idcard-actions"):
            yield TButton("common.retry", id="scan-retry", classes="action")
            yield TButton(
                "idcard.continue", id="scan-continue", classes="action", variant="success"
            )

    def on_mount(self) -> None:
        self._cancel = threading.Event()
        for wid in ("#scan-retry", "#scan-who", "#scan-continue"):
            self.query_one(wid).display = False
        self.start_scan()

    def start_scan(self) -> None:
        self._cancel.set()  # a scan still running from before stops
        self._cancel = threading.Event()  # each scan has its own off switch
        self.query_one("#scan-status", TLabel).set_key("scan.prompt")
        self.query_one("#scan-retry").display = False
        self._scan(self._cancel)

    def on_screen_suspend(self) -> None:
        self._cancel.set()

    def on_screen_resume(self) -> None:  # Textual also runs KioskScreen's own handler
        if self._cancel.is_set() and not self.query_one("#scan-continue").display:
            self.query_one("#scan-retry").display = True  # the scan was stopped: offer it again

    def on_unmount(self) -> None:
        self._cancel.set()

    @work(thread=True, exclusive=True, exit_on_error=False, group="scan")
    def _scan(self, cancel: threading.Event) -> None:
        camera = self.services.camera
        if camera is None:
            self.post_message(QrResult("no_camera"))
            return
        text = camera.scan_qr(timeout=30, cancel=cancel)
        if cancel.is_set():
            return
        if not text:
            self.post_message(QrResult("no_code"))
            return
        platform = self.services.platform
        if platform is None:
            self.post_message(QrResult("offline"))
            return
        try:
            identity = actions.verify_qr(platform, text)
        except Exception:
            self.post_message(QrResult("offline"))
            return
        self.post_message(QrResult("verified" if identity else "rejected", identity))

    def on_qr_result(self, message: QrResult) -> None:
        self.query_one("#scan-status", TLabel).set_key(f"scan.{message.outcome}")
        identity = message.identity
        self.query_one("#scan-retry").display = identity is None and message.outcome != "no_camera"
        if identity is None:
            return
        actions.identify(self.session, identity)
        who = self.query_one("#scan-who", TLabel)
        who.set_key("idcard.who", name=masked_name(identity), number=masked_id_number(identity))
        who.display = True
        self.query_one("#scan-continue").display = True

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "scan-retry":
            self.start_scan()
        elif event.button.id == "scan-continue":
            self.move_on()
        else:
            return
        event.stop()

    def forget_resident(self) -> None:
        self.query_one("#scan-who", TLabel).set_key("idcard.name")
