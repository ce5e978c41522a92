"""Journey step: identify with the QR code from the resident's phone (电子证照 / 扫码登录)."""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.message import Message

from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class QrResult(Message):
    def __init__(self, outcome: str, resident: dict | None = None) -> None:
        super().__init__()
        self.outcome, self.resident = outcome, resident


class ScanScreen(KioskScreen):
    def compose_body(self) -> ComposeResult:
        yield TLabel("scan.title", classes="title")
        yield TLabel("scan.prompt", id="scan-status", classes="hint")
        yield TButton("common.retry", id="scan-retry", classes="action")

    def on_mount(self) -> None:
        self._cancel = threading.Event()
        self.query_one("#scan-retry").display = False
        self._scan()

    def on_screen_suspend(self) -> None:
        self._cancel.set()

    def on_unmount(self) -> None:
        self._cancel.set()

    @work(thread=True, exclusive=True, exit_on_error=False, group="scan")
    def _scan(self) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        camera = services.device("camera")
        if camera is None:
            self.post_message(QrResult("no_camera"))
            return
        text = camera.scan_qr(timeout=30, cancel=self._cancel)
        if self._cancel.is_set():
            return
        if not text:
            self.post_message(QrResult("no_code"))
            return
        try:
            result = services.platform.verify_identity(qr_token=text)
        except Exception:
            self.post_message(QrResult("offline"))
            return
        if result.get("verified"):
            self.post_message(QrResult("verified", result.get("resident")))
        else:
            self.post_message(QrResult("rejected"))

    def on_qr_result(self, message: QrResult) -> None:
        status = self.query_one("#scan-status", TLabel)
        status.set_key(f"scan.{message.outcome}")
        self.query_one("#scan-retry").display = message.outcome != "verified"
        if message.outcome == "verified" and self.app.session is not None:  # type: ignore[attr-defined]
            self.app.session.data["qr_identity"] = message.resident  # type: ignore[attr-defined]

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "scan-retry":
            event.stop()
            self.query_one("#scan-status", TLabel).set_key("scan.prompt")
            self.query_one("#scan-retry").display = False
            self._scan()
