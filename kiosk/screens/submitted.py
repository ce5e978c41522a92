"""Journey step 完成: the application is received. The receipt prints (with the platform's
number when the network gives it within a moment, else the terminal's own), then the
resident may rate the service or finish."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from kiosk.resident import actions, receipts
from kiosk.resident.session import Submission
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

PLATFORM_REF_WAIT_S = 3.0  # how long the receipt waits for the platform's number


class Printed(Message):
    def __init__(self, submission: Submission, outcome: str) -> None:
        super().__init__()
        self.submission, self.outcome = submission, outcome


class SubmittedScreen(KioskScreen):
    REUSABLE = True  # filled from the session on each showing, emptied when the resident goes
    submission: Submission | None = None

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
        self._show_submission()

    def reuse(self) -> None:
        super().reuse()
        self._show_submission()

    def _show_submission(self) -> None:
        self.submission = self.session.submission
        assert self.submission is not None, "the receipt step follows a submission"
        self._show_printing("submitted.printing")
        self.show_ref()
        self.call_after_refresh(self._print, self.submission)  # shown first, then printed

    def _show_printing(self, key: str) -> None:
        label = self.query_one("#submitted-print", TLabel)
        label.i18n_key, label.i18n_values = key, {}  # said by the step's prompt, not again
        label.retranslate()

    def forget_resident(self) -> None:
        self.submission = None
        if not self.is_mounted:
            return
        self.query_one("#submitted-ref", Static).update("")
        self._show_printing("submitted.printing")

    def show_ref(self) -> None:
        s = self.submission
        if s is None:
            return
        label = self.kiosk.t("submitted.ref" if s.platform_ref else "submitted.local_ref")
        service = self.session.service
        name = service.name(self.kiosk.language) if service else s.service_name
        self.query_one("#submitted-ref", Static).update(f"{name}\n{label}{s.reference}")

    @work(thread=True, exclusive=True, exit_on_error=False, group="print")
    def _print(self, submission: Submission) -> None:
        services, session = self.services, self.kiosk.session
        submission = actions.wait_platform_ref(services.sync, submission, PLATFORM_REF_WAIT_S)
        if self.kiosk.session is not session or session is None or session.service is None:
            return  # they walked away: no receipt for whoever stands there now
        receipt = receipts.application_receipt(
            submission, session.service, session.answers, services.config, self.kiosk.language
        )
        outcome = actions.print_receipt(services.printer, receipt)
        session.last_reference = submission.reference
        self.post_message(Printed(submission, outcome))

    def on_printed(self, message: Printed) -> None:
        shown = self.submission
        if not self.is_attached or shown is None or shown.key != message.submission.key:
            return  # the resident left before the answer came
        self.submission = message.submission
        self.show_ref()
        self.query_one("#submitted-print", TLabel).set_key(f"submitted.{message.outcome}")

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "submitted-rate":
            self.move_on()
        elif event.button.id == "submitted-done":
            self.kiosk.end_session("done")
        else:
            return
        event.stop()

    def retranslate(self) -> None:
        self.show_ref()
