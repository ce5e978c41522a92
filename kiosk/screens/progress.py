"""Journey step: check an application's progress by the reference on the receipt
(the platform's number, or the terminal's own one from an offline submission)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input, Static

from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class ProgressFound(Message):
    def __init__(self, progress: dict | None, error: str | None) -> None:
        super().__init__()
        self.progress, self.error = progress, error


class ProgressScreen(KioskScreen):
    IDLE_FACTOR = 1.5

    def compose_body(self) -> ComposeResult:
        yield TLabel("progress.title", classes="title")
        yield TLabel("progress.prompt", classes="hint")
        yield Input(id="progress-ref")
        yield TButton("progress.query", id="progress-query", classes="action", variant="primary")
        yield Static(id="progress-result")
        yield TLabel("progress.offline", id="progress-offline", classes="message")

    def on_mount(self) -> None:
        self.query_one("#progress-offline").display = False

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "progress-query":
            event.stop()
            self._query(self.query_one("#progress-ref", Input).value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._query(event.value.strip())

    @work(thread=True, exclusive=True, exit_on_error=False, group="progress")
    def _query(self, reference: str) -> None:
        if not reference:
            return
        from kiosk.platform.errors import PlatformRejected

        try:
            self.post_message(ProgressFound(self.app.services.platform.progress(reference), None))  # type: ignore[attr-defined]
        except PlatformRejected:
            self.post_message(ProgressFound(None, "not_found"))
        except Exception:
            self.post_message(ProgressFound(None, "offline"))

    def on_progress_found(self, message: ProgressFound) -> None:
        result = self.query_one("#progress-result", Static)
        self.query_one("#progress-offline").display = message.error == "offline"
        if message.error == "not_found":
            result.update(self.app.t("progress.not_found"))  # type: ignore[attr-defined]
        elif message.progress:
            p = message.progress
            english = self.app.language == "en"  # type: ignore[attr-defined]
            steps = "\n".join(
                f"  {'✔' if s['done'] else '○'} {s['name_en' if english else 'name_zh']}"
                + (f"  {s['at']}" if s.get("at") else "")
                for s in p["steps"]
            )
            result.update(f"[b]{p.get('service_name') or ''}[/b]  {p['reference']}\n{steps}")
        else:
            result.update("")
