"""Queue numbers the terminal issues itself when the hall's system cannot be reached: short
(A012, as the hall calls them), per category and day, and never repeated after a restart."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

from kiosk.hall import TICKET_PREFIX

# An offline number takes a "9" band so it never collides with the hall's own numbers.
OFFLINE_BASE = 900  # offline numbers run A901, A902 ...


class LocalTicketCounter:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "tickets.json"
        self._lock = threading.Lock()

    def window(self, category: str) -> str:
        return TICKET_PREFIX.get(category, ("Z", "综合窗口"))[1]

    def next(self, category: str, day: dt.date) -> str:
        letter = TICKET_PREFIX.get(category, ("Z", "综合窗口"))[0]
        with self._lock:
            try:
                state = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                state = {}
            if state.get("day") != day.isoformat():
                state = {"day": day.isoformat(), "counts": {}}
            count = int(state["counts"].get(letter, 0)) + 1
            state["counts"][letter] = count
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(state, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        return f"{letter}{OFFLINE_BASE + count:03d}"
