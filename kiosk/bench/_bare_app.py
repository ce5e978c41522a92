"""Baseline for the startup benchmark: the smallest Textual app with one button,
announcing readiness exactly as the kiosk does."""

import os
import resource

from textual.app import App, ComposeResult
from textual.widgets import Button


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Button("OK")

    def on_mount(self) -> None:
        self.call_after_refresh(self._ready)

    def _ready(self) -> None:
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(int(os.environ["KIOSK_READY_FD"]), f"ready {rss_kb}\n".encode())
        self.exit()


if __name__ == "__main__":
    Bare().run()
