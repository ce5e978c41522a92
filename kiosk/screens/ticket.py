"""Journey 取号: choose the kind of business; a short queue number (A012) prints with its
windows, the people waiting and the time. Offline, the terminal's own number (A901 …),
queued in the outbox so the hall's system learns of it."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.message import Message
from textual.widgets import Button, Static

from kiosk.resident import actions
from kiosk.resident.service import Category
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class TicketIssued(Message):
    def __init__(self, ticket: actions.Ticket | None) -> None:
        super().__init__()
        self.ticket = ticket


class TicketScreen(KioskScreen):
    ELDER_PAGE = 4  # 长辈模式: at most four choices on a screen
    page = 0

    def compose_body(self) -> ComposeResult:
        yield TLabel("ticket.title", classes="title")
        yield Grid(id="ticket-categories")
        with Horizontal(id="ticket-pager", classes="elder-only"):
            yield TButton("guide.prev", id="ticket-prev", classes="pager")
            yield Static(id="ticket-page")
            yield TButton("guide.next", id="ticket-next", classes="pager")
        yield Static(id="ticket-number", classes="ticket-number")
        yield Static(id="ticket-detail", classes="hint")
        yield TLabel("ticket.offline", id="ticket-offline", classes="message")
        yield TButton("submitted.done", id="ticket-done", classes="action", variant="success")

    def on_mount(self) -> None:
        for wid in ("#ticket-number", "#ticket-detail", "#ticket-offline", "#ticket-done"):
            self.query_one(wid).display = False
        self.retranslate()

    def retranslate(self) -> None:
        self.run_worker(self._show_categories(), group="ticket-categories", exclusive=True)

    async def _show_categories(self) -> None:
        grid = self.query_one("#ticket-categories", Grid)
        await grid.remove_children()
        categories = self.services.catalog.categories
        if self.kiosk.elder:  # four a page, with big 上一页 / 下一页
            pages = max(1, -(-len(categories) // self.ELDER_PAGE))
            self.page = min(max(self.page, 0), pages - 1)
            at = self.page * self.ELDER_PAGE
            categories = categories[at : at + self.ELDER_PAGE]
            self.query_one("#ticket-page", Static).update(f"{self.page + 1} / {pages}")
            self.query_one("#ticket-prev").disabled = self.page == 0
            self.query_one("#ticket-next").disabled = self.page >= pages - 1
        await grid.mount_all(
            Button(
                c.name(self.kiosk.language),
                name=c.code,
                id=f"ticket-{c.code}",
                classes="action category",
            )
            for c in categories
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("category"):
            category = next(
                (c for c in self.services.catalog.categories if c.code == event.button.name),
                None,
            )
            if category is not None:
                self.query_one("#ticket-categories").display = False
                self.query_one("#ticket-pager").set_class(True, "-hidden")
                self.query_one("#ticket-offline").display = False
                self._issue(category)
        elif event.button.id in ("ticket-prev", "ticket-next"):
            self.page += 1 if event.button.id == "ticket-next" else -1
            self.retranslate()
        elif event.button.id == "ticket-done":
            self.kiosk.end_session("done")
        else:
            return
        event.stop()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket")
    def _issue(self, category: Category) -> None:
        services = self.services
        try:
            ticket = actions.issue_ticket(
                services.platform, services.outbox, services.tickets, category,
                services.catalog.all_services(),
            )  # fmt: skip
        except actions.NotQueued:
            self.post_message(TicketIssued(None))
            return
        ticket = actions.print_ticket(
            services.printer, ticket, services.config, self.kiosk.language
        )
        self.post_message(TicketIssued(ticket))

    def on_ticket_issued(self, message: TicketIssued) -> None:
        if not self.is_attached:  # the resident left before the answer came
            return
        ticket = message.ticket
        if ticket is None:
            self.query_one("#ticket-offline", TLabel).set_key("ticket.failed")
            self.query_one("#ticket-offline").display = True
            self.query_one("#ticket-categories").display = True
            return
        self.query_one("#ticket-number", Static).update(ticket.number)
        t = self.kiosk.t
        lines = [ticket.category.name(self.kiosk.language)]
        if ticket.counter:
            lines.append(t("ticket.window", window=ticket.counter))
        if ticket.waiting_ahead >= 0:
            lines.append(t("ticket.waiting", n=ticket.waiting_ahead))
        lines.append(t("ticket.time", time=ticket.issued_at.strftime("%H:%M")))
        lines.append(t(f"ticket.{ticket.printed}"))
        self.query_one("#ticket-detail", Static).update("\n".join(lines))
        for wid in ("#ticket-number", "#ticket-detail", "#ticket-done"):
            self.query_one(wid).display = True
        self.query_one("#ticket-offline").display = ticket.offline
