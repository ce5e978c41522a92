"""Terminal-local references printed on an offline receipt, e.g. KIOSK-DEMO-0001-20261122-000042.

Terminal id + local date + a counter that never resets (kept in the outbox database and
advanced in the same transaction as the item), so a reference is unique even if the clock
steps back, and staff can trace it later with `kiosk outbox lookup`.
"""

from __future__ import annotations

import re
import time

_SAFE = re.compile(r"[^A-Z0-9-]")


def format_local_ref(terminal_id: str, counter: int, when: float | None = None) -> str:
    day = time.strftime("%Y%m%d", time.localtime(time.time() if when is None else when))
    # the platform accepts local_ref up to 64 characters; the counter keeps it unique
    terminal = _SAFE.sub("-", terminal_id.upper())[:44] or "KIOSK"
    return f"{terminal}-{day}-{counter:06d}"


def normalise_local_ref(text: str) -> str:
    """What staff type from paper: tolerate case and surrounding blanks."""
    return text.strip().upper()
