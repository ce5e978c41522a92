"""Journey 进度查询: scan the QR code on the receipt, or key in the number on it (lower case
and spaces are fine); the steps show with dates as people write them."""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from kiosk.resident import actions
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class ProgressFound(Message):
    def __init__(self, outcome: actions.ProgressOutcome, progress: actions.Progress | None) -> None:
        super().__init__()
        self.outcome, self.progress = outcome, progress


class ScannedRef(Message):
    def __init__(self, text: str | None) -> None:
        super().__init__()
        self.text = text


class ProgressScreen(KioskScreen):
    IDLE_FACTOR = 1.5

    def compose_body(self) -> ComposeResult:
        yield TLabel("progress.title", classes="title")
        yield TLabel("progress.prompt", id="progress-status", classes="hint")
        with Horizontal(id="progress-actions"):
            yield TButton("progress.scan", id="progress-scan", classes="action", variant="primary")
            yield TButton("progress.type", id="progress-type", classes="action")
        yield Static(id="progress-result")

    def on_mount(self) -> None:
        self._cancel = threading.Event()
        self.query_one("#progress-scan").display = self.services.camera is not None

    def on_unmount(self) -> None:
        self._cancel.set()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "progress-scan":
            self.query_one("#progress-status", TLabel).set_key("progress.scanning")
            self._cancel.set()
            self._cancel = threading.Event()
            self._scan(self._cancel)
        elif event.button.id == "progress-type":
            self.kiosk.ask_reference(self._typed)
        else:
            return
        event.stop()

    def _typed(self, text: str | None) -> None:
        if text is not None:
            self.lookup(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="progress-scan")
    def _scan(self, cancel: threading.Event) -> None:
        camera = self.services.camera
        text = camera.scan_qr(timeout=20, cancel=cancel) if camera is not None else None
        if not cancel.is_set():
            self.post_message(ScannedRef(text))

    def on_scanned_ref(self, message: ScannedRef) -> None:
        if message.text:
            self.lookup(message.text)
        else:
            self.query_one("#progress-status", TLabel).set_key("progress.no_code")

    def lookup(self, reference: str) -> None:
        self.query_one("#progress-status", TLabel).set_key("progress.querying")
        self._query(reference)

    @work(thread=True, exclusive=True, exit_on_error=False, group="progress")
    def _query(self, reference: str) -> None:
        outcome, progress = actions.query_progress(self.services.platform, reference)
        self.post_message(ProgressFound(outcome, progress))

    def on_progress_found(self, message: ProgressFound) -> None:
        if not self.is_attached:  # the resident left before the answer came
            return
        self.query_one("#progress-status", TLabel).set_key(f"progress.{message.outcome}")
        result = self.query_one("#progress-result", Static)
        p = message.progress
        if p is None:
            result.update("")
            return
        english = self.kiosk.language == "en"
        steps = "\n".join(
            f"  {'✔' if s.done else '○'} {s.name_en if english and s.name_en else s.name_zh}"
            + (f"  {s.at}" if s.at else "")
            for s in p.steps
        )
        result.update(f"[b]{p.service_name}[/b]  {p.reference}\n{steps}")
