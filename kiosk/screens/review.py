"""Journey step 确认: everything that will be sent, masked, with 修改 on each answer; then
提交. Nothing reaches the outbox before the resident has seen it here."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static

from kiosk.resident import actions, forms
from kiosk.resident.service import Service
from kiosk.resident.session import ResidentSession
from kiosk.resident.steps import Step
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class Submitted(Message):
    def __init__(
        self, session: ResidentSession, submission: actions.Submission | None, error: str
    ) -> None:
        super().__init__()
        self.session, self.submission, self.error = session, submission, error


class AnswerRow(Horizontal):
    """One line of the review: an answer and its 修改. The screen keeps its rows and fills
    them again for the next resident (see ReviewScreen.REUSABLE)."""

    def __init__(self) -> None:
        self.value = Static(classes="review-value")
        self.edit = Button("")
        super().__init__(self.value, self.edit, classes="review-row")
        self.field = ""  # the answer 修改 goes back to

    def show(self, row: forms.ReviewRow, edit: str) -> None:
        self.field = row.name
        self.value.update(f"{row.label}：{row.shown}")
        self.edit.label = edit
        self.edit.display = row.editable
        self.edit.set_class(row.editable, "review-edit")  # a 修改 only for what can change
        self.set_class(row.editable, "-editable")
        self.display = True

    def clear(self) -> None:
        self.field = ""
        self.value.update("")
        self.display = False


class ReviewScreen(KioskScreen):
    IDLE_FACTOR = 2.0
    REUSABLE = True  # its rows are filled on each showing and emptied when the resident goes

    @property
    def service(self) -> Service:
        service = self.session.service
        assert service is not None, "the review step needs a service"
        return service

    def compose_body(self) -> ComposeResult:
        yield TLabel("review.title", classes="title")
        yield TLabel("review.hint", classes="hint")
        with VerticalScroll(id="review-rows"):
            pass
        yield TLabel("form.failed", id="review-error", classes="message")
        yield TButton("review.submit", id="review-submit", classes="action", variant="success")

    def on_mount(self) -> None:
        self.query_one("#review-error").display = False
        self.show_rows()

    def reuse(self) -> None:
        super().reuse()
        self.query_one("#review-error").display = False
        self.query_one("#review-submit", Button).disabled = False
        self.query_one("#review-rows", VerticalScroll).scroll_home(animate=False)
        self.show_rows()

    def show_rows(self) -> None:
        box = self.query_one("#review-rows", VerticalScroll)
        language = self.kiosk.language
        rows = forms.review_rows(
            self.service, self.session.identity, self.session.answers, language
        )
        kept = list(box.query_children(AnswerRow))
        if len(kept) < len(rows):  # one mount for all the rows this service needs more
            more = [AnswerRow() for _ in range(len(rows) - len(kept))]
            box.mount_all(more)
            kept += more
        edit = self.kiosk.t("review.edit")
        for widget, row in zip(kept, rows, strict=False):  # kept may be longer
            widget.show(row, edit)
        for widget in kept[len(rows) :]:
            widget.clear()

    def forget_resident(self) -> None:
        for row in self.query(AnswerRow):
            row.clear()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button
        if button.has_class("review-edit"):
            field = button.parent.field if isinstance(button.parent, AnswerRow) else ""
            form = self.kiosk.back_to(Step.FORM)
            open_field = getattr(form, "open_field", None)
            if form is not None and callable(open_field):
                form.call_after_refresh(open_field, field)
        elif button.id == "review-submit":
            button.disabled = True  # one tap, one application
            self.query_one("#review-error").display = False
            self._submit(self.session)
        else:
            return
        event.stop()

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit")
    def _submit(self, session: ResidentSession) -> None:
        try:
            submission = actions.submit_application(self.services.outbox, session)
        except actions.NotQueued as exc:  # disk full, database broken: nothing stored
            self.services.report_problem("outbox", str(exc))  # staff see it in diagnostics
            self.post_message(Submitted(session, None, exc.reason))
            return
        except Exception:  # a bug: still tell the resident, keep the answers, log for staff
            import logging

            logging.getLogger(__name__).exception("application not queued")
            self.post_message(Submitted(session, None, "unavailable"))
            return
        self.services.clear_problem("outbox")
        self.post_message(Submitted(session, submission, ""))

    def on_submitted(self, message: Submitted) -> None:
        if message.session is not self.kiosk.session:  # that resident has gone (kept screen)
            return
        if message.submission is None:
            key = "form.disk_full" if message.error == "disk_full" else "form.failed"
            self.query_one("#review-error", TLabel).set_key(key)
            self.query_one("#review-error").display = True
            self.query_one("#review-submit", Button).disabled = False
            return
        self.session.submission = message.submission
        self.move_on()

    def retranslate(self) -> None:
        self.show_rows()
