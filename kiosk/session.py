"""The inactivity timer that ends a resident's session (the session itself: kiosk.resident).

Pure logic with an injectable clock, so the app polls it and tests advance time without
sleeping. Nothing here imports Textual.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


class IdlePhase(enum.Enum):
    IDLE = "idle"  # no session: the attract screen
    ACTIVE = "active"
    WARNING = "warning"  # countdown on screen
    EXPIRED = "expired"


@dataclass
class IdleTimer:
    """Counts inactivity from the last touch. `timeout` is how long before the warning,
    `countdown` how long the warning stays up before the session ends."""

    clock: Clock = time.monotonic
    timeout: float = 60.0
    countdown: float = 30.0
    last_input: float = field(default=0.0)
    running: bool = False

    def start(self) -> None:
        self.running = True
        self.last_input = self.clock()

    def stop(self) -> None:
        self.running = False

    def touch(self) -> None:
        self.last_input = self.clock()

    def phase(self) -> IdlePhase:
        if not self.running:
            return IdlePhase.IDLE
        quiet = self.clock() - self.last_input
        if quiet < self.timeout:
            return IdlePhase.ACTIVE
        if quiet < self.timeout + self.countdown:
            return IdlePhase.WARNING
        return IdlePhase.EXPIRED

    def seconds_left(self) -> int:
        """Whole seconds left on the countdown (rounded up, so it never shows 0 early)."""
        left = self.timeout + self.countdown - (self.clock() - self.last_input)
        return max(0, int(-(-left // 1)))
