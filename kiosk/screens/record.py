"""Journey step: print a resident's record (e.g. 社会保险个人参保证明). It needs live data:
offline, the resident is told plainly and offered what still works."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static

from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class RecordDone(Message):
    def __init__(self, outcome: str, record: dict | None = None) -> None:
        super().__init__()
        self.outcome, self.record = outcome, record


class RecordScreen(KioskScreen):
    IDLE_FACTOR = 2.0

    def __init__(self, service: dict) -> None:
        super().__init__()
        self.service = service

    def compose_body(self) -> ComposeResult:
        yield Static(self.service.get("name_zh", ""), classes="title")
        yield TLabel("record.fetching", id="record-status", classes="hint")
        yield Static(id="record-summary")
        yield TButton("chrome.home", id="record-home", classes="action")

    def on_mount(self) -> None:
        self._fetch_and_print()

    @work(thread=True, exclusive=True, exit_on_error=False, group="record")
    def _fetch_and_print(self) -> None:
        from kiosk.devices.printer.receipt import Receipt

        services = self.app.services  # type: ignore[attr-defined]
        session = self.app.session  # type: ignore[attr-defined]
        identity = session.identity if session else None
        from kiosk.platform.errors import PlatformRejected

        try:
            record = services.platform.record(identity.id_number, self.service["record_type"])
        except PlatformRejected as exc:  # no face verified here (no camera): not given out
            self.post_message(RecordDone("needs_verification" if exc.status == 403 else "offline"))
            return
        except Exception:
            self.post_message(RecordDone("offline"))
            return
        lines = [
            " ".join(str(row.get(c["key"], "")) for c in record["columns"])
            for row in record["rows"]
        ]
        receipt = Receipt(
            title=record["title_zh"],
            terminal_name=services.config.terminal.name,
            terminal_id=services.config.terminal.id,
            platform_ref=record["certificate_no"],
            fields=(
                ("姓名", record["masked_name"]),
                ("证件号码", record["masked_id_number"]),
                *record["summary"].items(),
            ),  # fmt: skip
            lines=tuple(lines),
            qr=record["certificate_no"],
            qr_caption="扫码验证证明真伪",
        )
        if self.app.session is not session:  # type: ignore[attr-defined]
            return  # they left while the platform answered: never print for the next person
        printer = services.device("printer")
        try:
            if printer is None:
                raise RuntimeError("no printer")
            printer.print_receipt(receipt, keep_if_refused=True)
            self.post_message(RecordDone("printed", record))
        except Exception:
            self.post_message(RecordDone("print_failed", record))

    def on_record_done(self, message: RecordDone) -> None:
        self.query_one("#record-status", TLabel).set_key(f"record.{message.outcome}")
        if message.record:
            summary = "\n".join(f"{k}：{v}" for k, v in message.record["summary"].items())
            self.query_one("#record-summary", Static).update(summary)

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "record-home":
            event.stop()
            self.app.end_session("done")  # type: ignore[attr-defined]
