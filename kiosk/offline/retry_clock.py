"""The clock that retry times are kept on: it only moves forward, across restarts and steps.

Backoff and Retry-After are durations, but the outbox must remember them across a restart,
and the wall clock cannot be trusted for that: NTP stepping it back a day would park every
queued item for a day. This clock runs on time.monotonic() while the process lives. At open
it resumes from the value last saved with the retry times, plus the wall-clock time that
passed meanwhile only if that is positive (a clock stepped back counts as no time at all; a
clock stepped forward only makes the next attempt sooner, which is harmless). It starts at
the wall-clock time, so retry times written by older versions keep their meaning.
"""

from __future__ import annotations

from collections.abc import Callable


class RetryClock:
    def __init__(
        self,
        saved: tuple[float, float] | None,
        monotonic: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        """`saved` is (clock value, wall time) as last written by `mark()`."""
        self._monotonic = monotonic
        self._wall = wall
        wall_now = wall()
        if saved is None:
            base = wall_now
        else:
            value, wall_then = saved
            base = value + max(0.0, wall_now - wall_then)
        self._base = base
        self._mono0 = monotonic()

    def now(self) -> float:
        return self._base + (self._monotonic() - self._mono0)

    def mark(self) -> tuple[float, float]:
        """(now, wall time): saved with retry times so a restart resumes from here."""
        return self.now(), self._wall()
