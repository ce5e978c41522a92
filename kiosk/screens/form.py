"""Journey step: the service's form. Card fields come from the ID card, shown masked and
never typed; choices are buttons; typing is the last resort (a phone number)."""

from __future__ import annotations

import logging

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Static

from kiosk import journey
from kiosk.privacy import mask_id_number, mask_name
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

log = logging.getLogger(__name__)
MASKS = {"name": mask_name, "id_number": mask_id_number}


class Submitted(Message):
    def __init__(self, submission: journey.Submission | None, error: str | None) -> None:
        super().__init__()
        self.submission, self.error = submission, error


class FormScreen(KioskScreen):
    IDLE_FACTOR = 3.0

    def __init__(self, service: dict) -> None:
        super().__init__()
        self.service = service
        self.answers: dict[str, str] = {}

    def label(self, item: dict) -> str:
        english = self.app.language == "en"  # type: ignore[attr-defined]
        return item.get("label_en" if english else "label_zh") or item.get("label_zh", "")

    def compose_body(self) -> ComposeResult:
        yield Static(self.service.get("name_zh", ""), classes="title")
        card = journey.identity_fields(self.app.session.identity)  # type: ignore[attr-defined]
        with VerticalScroll(id="form-fields"):
            for f in self.service.get("form", []):
                if f.get("source") == "idcard":
                    value = card.get(f["name"], "")
                    shown = MASKS.get(f["name"], lambda v: v)(value) if value else "—"
                    yield Static(f"{self.label(f)}：{shown}", classes="form-card-field")
                elif f.get("type") == "select":
                    yield Static(self.label(f), classes="form-label")
                    with Horizontal(classes="form-options"):
                        for option in f.get("options", []):
                            yield Button(
                                self.label(option),
                                name=f"{f['name']}={option['value']}",
                                classes="option",
                            )
                else:
                    yield Static(self.label(f), classes="form-label")
                    kind = "integer" if f.get("type") == "phone" else "text"
                    yield Input(
                        id=f"in-{f['name']}",
                        type=kind,
                        max_length=f.get("max_length") or 50,
                        name=f["name"],
                    )
        yield TLabel("form.missing", id="form-missing", classes="message")
        yield TButton("form.submit", id="form-submit", classes="action", variant="success")

    def on_mount(self) -> None:
        self.query_one("#form-missing").display = False
        session = self.app.session or self.app.start_session()  # type: ignore[attr-defined]
        # The idempotency key is made when the transaction starts and survives retries.
        outbox = self.app.services.outbox  # type: ignore[attr-defined]
        if session.transaction_key is None and outbox is not None:
            session.transaction_key = outbox.new_transaction_key()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("option"):
            event.stop()
            name, _, value = (event.button.name or "").partition("=")
            self.answers[name] = value
            for sibling in event.button.parent.query(Button):  # type: ignore[union-attr]
                sibling.set_class(sibling is event.button, "-chosen")
        elif event.button.id == "form-submit":
            event.stop()
            for field in self.query(Input):
                self.answers[field.name or ""] = field.value.strip()
            missing = journey.missing_answers(self.service, self.answers)
            if missing:
                labels = [self.label(f) for f in self.service["form"] if f["name"] in missing]
                self.query_one("#form-missing", TLabel).set_key(
                    "form.missing", fields="、".join(labels)
                )
                self.query_one("#form-missing").display = True
                return
            event.button.disabled = True  # one tap, one application
            self._submit(self.app.session)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit")
    def _submit(self, session: object) -> None:
        from kiosk.offline.outbox import OutboxError, OutboxFull

        services = self.app.services  # type: ignore[attr-defined]
        if session is None or services.outbox is None or not services.outbox.can_enqueue:
            log.error("application not queued: no session or no usable outbox")
            self.post_message(Submitted(None, "unavailable"))
            return
        try:
            submission = journey.submit_application(
                services.outbox, session, self.service, self.answers
            )
        except (OutboxError, OSError) as exc:  # disk full, database broken: nothing stored
            why = f"{type(exc).__name__}: {exc}"
            log.error("application not queued", extra={"error": why})
            services.report_problem("outbox", why)  # staff see it in diagnostics
            full = isinstance(exc, OutboxFull)
            self.post_message(Submitted(None, "disk_full" if full else "unavailable"))
            return
        except Exception:  # a bug: still tell the resident, keep the form, log for staff
            log.exception("application not queued")
            self.post_message(Submitted(None, "unavailable"))
            return
        services.clear_problem("outbox")
        self.post_message(Submitted(submission, None))

    def on_submitted(self, message: Submitted) -> None:
        if message.submission is None:
            key = "form.disk_full" if message.error == "disk_full" else "form.failed"
            self.query_one("#form-missing", TLabel).set_key(key)
            self.query_one("#form-missing").display = True
            self.query_one("#form-submit", Button).disabled = False
            return
        from kiosk.screens.submitted import SubmittedScreen

        self.move_on(SubmittedScreen(self.service, dict(self.answers), message.submission))

    def forget_resident(self) -> None:
        self.answers.clear()
