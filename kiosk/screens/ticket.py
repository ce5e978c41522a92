"""Journey step: take a queue number for a counter. Offline, the number is the terminal's
own reference, queued in the outbox so the hall's system learns of it later."""

from __future__ import annotations

import logging

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widgets import Button, Static

from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TLabel

log = logging.getLogger(__name__)


class TicketIssued(Message):
    def __init__(self, number: str, detail: str, offline: bool) -> None:
        super().__init__()
        self.number, self.detail, self.offline = number, detail, offline


class TicketScreen(KioskScreen):
    def compose_body(self) -> ComposeResult:
        yield TLabel("ticket.title", classes="title")
        yield Grid(id="ticket-categories")
        yield TLabel("ticket.done", id="ticket-done", classes="hint")
        yield Static(id="ticket-number", classes="title")
        yield TLabel("ticket.offline", id="ticket-offline", classes="message")

    def on_mount(self) -> None:
        for wid in ("#ticket-done", "#ticket-number", "#ticket-offline"):
            self.query_one(wid).display = False
        self.retranslate()

    def retranslate(self) -> None:
        grid = self.query_one("#ticket-categories", Grid)
        grid.remove_children()
        english = self.app.language == "en"  # type: ignore[attr-defined]
        catalog = self.app.services.catalog._catalog or {}  # type: ignore[attr-defined]
        grid.mount_all(
            Button(
                c["name_en" if english else "name_zh"], name=c["code"], classes="action category"
            )
            for c in catalog.get("categories", [])
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("category"):
            event.stop()
            self.query_one("#ticket-categories").display = False
            self._issue(event.button.name or "")

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket")
    def _issue(self, category: str) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        service = next(
            (s for s in services.catalog.services if s.get("category") == category), None
        )
        code = service["code"] if service else category
        try:
            ticket = services.platform.issue_ticket(code)
            detail = f"{ticket['service_name']} · {ticket['counter']} · {ticket['waiting_ahead']}"
            self.post_message(TicketIssued(ticket["ticket_no"], detail, offline=False))
        except Exception:
            # Network down or platform broken: the resident still gets a number.
            try:
                key = services.outbox.new_transaction_key()
                receipt = services.outbox.enqueue(
                    key, "ticket", "tickets", {"service_code": code}, {}
                )
            except Exception as exc:  # no outbox either: say so, offer the categories again
                log.error("no ticket issued", extra={"error": f"{type(exc).__name__}: {exc}"})
                self.post_message(TicketIssued("", "", offline=True))
                return
            self.post_message(TicketIssued(receipt.local_ref, code, offline=True))

    def on_ticket_issued(self, message: TicketIssued) -> None:
        if not message.number:
            self.query_one("#ticket-offline", TLabel).set_key("ticket.failed")
            self.query_one("#ticket-offline").display = True
            self.query_one("#ticket-categories").display = True
            return
        self.query_one("#ticket-done").display = True
        number = self.query_one("#ticket-number", Static)
        number.update(f"{message.number}\n{message.detail}")
        number.display = True
        self.query_one("#ticket-offline").display = message.offline
