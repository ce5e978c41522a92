"""The technician's diagnostics screen: every device's status live, a self-test button per
device, and a live camera preview. The same facts as `kiosk diag`."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TLabel

PREVIEW_COLUMNS, PREVIEW_ROWS = 48, 18


class DiagnosticsScreen(KioskScreen):
    IDLE_FACTOR = 5.0
    STAFF = True

    def compose_body(self) -> ComposeResult:
        yield TLabel("staff.diagnostics", classes="title")
        with Horizontal(id="diag-main"):
            with Vertical(id="diag-left"):
                yield DataTable(id="diag-table", cursor_type="none", zebra_stripes=True)
                yield Horizontal(id="diag-tests")
                yield Static(id="diag-result")
            yield Static(id="diag-preview")

    def on_mount(self) -> None:
        table = self.query_one("#diag-table", DataTable)
        table.add_columns("device", "state", "message", "details")
        tests = self.query_one("#diag-tests", Horizontal)
        for kind in self.services.devices:
            tests.mount(
                Button(f"self-test {kind}", name=kind, id=f"selftest-{kind}", classes="self-test")
            )
        self.refresh_devices()
        self.set_interval(1.0, self.refresh_devices)
        self.set_interval(0.5, self.refresh_preview)

    def refresh_devices(self) -> None:
        table = self.query_one("#diag-table", DataTable)
        table.clear()
        for health in self.services.health():
            details = " ".join(
                f"{k}={v}" for k, v in health.details.items() if v not in (None, "", [], {})
            )
            style = "green" if health.healthy else "bold red"
            table.add_row(
                health.device, f"[{style}]{health.state}[/]", health.message, details[:120]
            )
        o = self.services.outbox_status()
        if o["available"]:
            state = "[green]ok[/]" if o["can_enqueue"] else "[bold red]no key[/]"
            table.add_row("outbox", state, f"depth {o['depth']}, dead letters {o['dead_letters']}",
                          f"oldest_age_s={o['oldest_age_s']} last_sync={o['last_sync_result']}")  # fmt: skip
        else:
            table.add_row("outbox", "[bold red]unavailable[/]", str(o["error"])[:80], "")
        for part, why in self.services.failures.items():
            table.add_row(part, "[bold red]failed[/]", why[:80], "")

    def refresh_preview(self) -> None:
        preview = self.query_one("#diag-preview", Static)
        camera = self.services.camera
        frame = camera.latest() if camera is not None else None
        if frame is None:
            preview.update("no camera frame")
            return
        from kiosk.widgets.preview import frame_to_text

        preview.update(frame_to_text(frame.image, PREVIEW_COLUMNS, PREVIEW_ROWS))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("self-test"):
            event.stop()
            kind = event.button.name or ""
            self.query_one("#diag-result", Static).update(f"{kind}: …")
            self.run_worker(lambda: self._self_test(kind), thread=True, exit_on_error=False)

    def _self_test(self, kind: str) -> None:
        try:
            result = self.services.devices[kind].self_test()  # a kind of self.services.devices
            text = f"{kind}: {'PASS' if result.passed else 'FAIL'} — {result.message}"
        except Exception as exc:
            text = f"{kind}: FAIL — {exc}"
        self.app.call_from_thread(self._show_result, text)

    def _show_result(self, text: str) -> None:
        """On the UI thread; the screen may have closed while the worker ran."""
        if self.is_mounted:
            self.query_one("#diag-result", Static).update(text)
