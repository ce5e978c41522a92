"""Baseline for the startup benchmark: the smallest Textual app that starts the way the
kiosk does (kiosk/app.py on_mount): it pushes its first screen (one button), and the app's
call_after_refresh, which Textual runs after the current screen's next paint, says "ready"
(tests/test_sdnotify.py checks in a pty that the kiosk's home screen is drawn by then)."""

import os
import resource

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Button


class First(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Button("OK")


class Bare(App[None]):
    def on_mount(self) -> None:
        self.push_screen(First())
        self.call_after_refresh(self._report_ready)

    def _report_ready(self) -> None:  # not `_ready`: Textual's own, which must run
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(int(os.environ["KIOSK_READY_FD"]), f"ready {rss_kb}\n".encode())
        self.exit()


if __name__ == "__main__":
    Bare().run()
