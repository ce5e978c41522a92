"""Journey step: the application is received. The receipt prints (with the platform's number
when the network gives it within a moment, else the terminal's own), then the resident may
rate the service."""

from __future__ import annotations

from dataclasses import replace

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from kiosk import journey
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

PLATFORM_REF_WAIT_S = 3.0  # how long the receipt waits for the platform's number


class Printed(Message):
    def __init__(self, submission: journey.Submission, outcome: str) -> None:
        super().__init__()
        self.submission, self.outcome = submission, outcome


class SubmittedScreen(KioskScreen):
    def __init__(
        self, service: dict, answers: dict[str, str], submission: journey.Submission
    ) -> None:
        super().__init__()
        self.service, self.answers, self.submission = service, answers, submission

    def compose_body(self) -> ComposeResult:
        yield TLabel("submitted.title", classes="title")
        yield Static(id="submitted-ref", classes="who")
        yield TLabel("submitted.printing", id="submitted-print", classes="hint")
        with Horizontal(id="submitted-actions"):
            yield TButton(
                "submitted.rate", id="submitted-rate", classes="action", variant="primary"
            )
            yield TButton(
                "submitted.done", id="submitted-done", classes="action", variant="success"
            )

    def on_mount(self) -> None:
        self.show_ref()
        self._print()

    def show_ref(self) -> None:
        s = self.submission
        ref = s.platform_ref or s.local_ref
        self.query_one("#submitted-ref", Static).update(f"{s.service_name}\n{ref}")

    @work(thread=True, exclusive=True, exit_on_error=False, group="print")
    def _print(self) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        session = self.app.session  # type: ignore[attr-defined]
        submission = self.submission
        if services.sync is not None:  # online: the platform's number within a moment
            reference = services.sync.wait_delivered(submission.key, PLATFORM_REF_WAIT_S)
            if reference:
                submission = replace(submission, platform_ref=reference)
        if self.app.session is not session:  # type: ignore[attr-defined]
            return  # they walked away: no receipt for whoever stands there now
        printer = services.device("printer")
        if printer is None:
            self.post_message(Printed(submission, "no_printer"))
            return
        receipt = journey.application_receipt(
            submission,
            self.service,
            self.answers,
            services.config,
            self.app.language,  # type: ignore[attr-defined]
        )
        try:
            printer.print_receipt(receipt, keep_if_refused=True)
            outcome = "printed"
        except Exception as exc:  # paper out, cover open: kept for staff to reprint
            outcome = "kept" if getattr(exc, "code", "") else "failed"
        self.post_message(Printed(submission, outcome))

    def on_printed(self, message: Printed) -> None:
        self.submission = message.submission
        self.show_ref()
        self.query_one("#submitted-print", TLabel).set_key(f"submitted.{message.outcome}")

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "submitted-rate":
            from kiosk.screens.rating import RatingScreen

            self.move_on(RatingScreen(self.service, self.submission))
        elif event.button.id == "submitted-done":
            self.app.end_session("done")  # type: ignore[attr-defined]
        else:
            return
        event.stop()
