"""Journey step 完成 for a record (e.g. 社会保险个人参保证明): live data from the platform,
printed. Offline, the resident is told plainly and offered what still works."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from kiosk.hant import to_hant
from kiosk.i18n import variant
from kiosk.resident import actions
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class RecordDone(Message):
    def __init__(self, result: actions.RecordResult) -> None:
        super().__init__()
        self.result = result


class RecordScreen(KioskScreen):
    IDLE_FACTOR = 2.0

    def compose_body(self) -> ComposeResult:
        service = self.session.service
        yield Static(service.name(self.kiosk.language) if service else "", classes="title")
        yield TLabel("record.fetching", id="record-status", classes="hint")
        yield Static(id="record-summary")
        with Horizontal(id="record-actions"):
            yield TButton("submitted.done", id="record-done", classes="action", variant="success")
            yield TButton("submitted.rate", id="record-rate", classes="action", variant="primary")

    def on_mount(self) -> None:
        # Hidden but keeping its place beside 完成: 完成 must not move under a finger when
        # the answer arrives (a tap meant for 完成 landed on 评价).
        self.query_one("#record-rate").visible = False
        self._fetch_and_print()

    @work(thread=True, exclusive=True, exit_on_error=False, group="record")
    def _fetch_and_print(self) -> None:
        session, services = self.kiosk.session, self.services
        if session is None or session.service is None:
            return
        still_here = lambda: self.kiosk.session is session  # noqa: E731
        if actions.issues_certificate(session.service):  # an A4 证明 with seal and QR
            result = actions.issue_and_print_certificate(
                services.platform, services.a4printer, services.printer, session,
                session.service, services.config, still_here=still_here,
            )  # fmt: skip
        else:
            result = actions.fetch_and_print_record(
                services.platform, services.printer, session, session.service, services.config,
                still_here=still_here,
            )  # fmt: skip
        self.post_message(RecordDone(result))

    result: actions.RecordResult | None = None

    def on_record_done(self, message: RecordDone) -> None:
        if not self.is_attached:  # the resident left before the answer came
            return
        result = self.result = message.result
        self.query_one("#record-status", TLabel).set_key(f"record.{result.outcome}")
        self._show_summary()
        self.query_one("#record-rate").visible = result.outcome in ("printed", "printed_a4", "kept")

    def _show_summary(self) -> None:
        """The platform's summary in the resident's language (the paper stays Chinese)."""
        result, language = self.result, self.kiosk.language
        if result is None or not result.summary:
            return
        rows = result.summary_en if language == "en" and result.summary_en else result.summary
        sep = ": " if rows is result.summary_en else "："
        text = "\n".join(f"{k}{sep}{v}" for k, v in rows)
        if language == "zh-Hant":
            text = to_hant(text, variant())
        self.query_one("#record-summary", Static).update(text)

    def retranslate(self) -> None:
        service = self.session.service
        self.query_one(".title", Static).update(
            service.name(self.kiosk.language) if service else ""
        )
        self._show_summary()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "record-rate":
            self.move_on()
        elif event.button.id == "record-done":
            self.kiosk.end_session("done")
        else:
            return
        event.stop()
