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
from kiosk.resident.steps import Step
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class Submitted(Message):
    def __init__(self, submission: actions.Submission | None, error: str) -> None:
        super().__init__()
        self.submission, self.error = submission, error


class ReviewScreen(KioskScreen):
    IDLE_FACTOR = 2.0

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

    def show_rows(self) -> None:
        box = self.query_one("#review-rows", VerticalScroll)
        box.remove_children()
        language = self.kiosk.language
        rows = forms.review_rows(self.service, self.session.identity, self.session.answers, language)
        edit = self.kiosk.t("review.edit")
        box.mount_all(
            Horizontal(
                Static(f"{row.label}：{row.shown}", classes="review-value"),
                *([Button(edit, name=row.name, classes="review-edit")] if row.editable else []),
                classes="review-row -editable" if row.editable else "review-row",
            )
            for row in rows
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button
        if button.has_class("review-edit"):
            form = self.kiosk.back_to(Step.FORM)
            open_field = getattr(form, "open_field", None)
            if form is not None and callable(open_field):
                form.call_after_refresh(open_field, button.name or "")
        elif button.id == "review-submit":
            button.disabled = True  # one tap, one application
            self.query_one("#review-error").display = False
            self._submit()
        else:
            return
        event.stop()

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit")
    def _submit(self) -> None:
        try:
            submission = actions.submit_application(self.services.outbox, self.session)
        except actions.NotQueued as exc:  # disk full, database broken: nothing stored
            self.services.report_problem("outbox", str(exc))  # staff see it in diagnostics
            self.post_message(Submitted(None, exc.reason))
            return
        except Exception:  # a bug: still tell the resident, keep the answers, log for staff
            import logging

            logging.getLogger(__name__).exception("application not queued")
            self.post_message(Submitted(None, "unavailable"))
            return
        self.services.clear_problem("outbox")
        self.post_message(Submitted(submission, ""))

    def on_submitted(self, message: Submitted) -> None:
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
