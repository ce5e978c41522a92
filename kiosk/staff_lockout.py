"""The staff PIN pad's lockout, kept in the data dir so that a restart does not reset it.

Without this, pulling the plug (or any crash) would give a guesser three fresh tries. The
file holds a count and a wall-clock time, nothing secret; the running app measures the lock
with its own monotonic clock, so a clock change while it runs does not open the pad.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "staff_pin_lockout.json"


class PinLockout:
    def __init__(
        self,
        data_dir: Path,
        tries: int,
        lock_s: float,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self.tries, self.lock_s = tries, lock_s
        self._clock, self._wall = clock, wall
        self.failures = 0
        self._until = 0.0  # in self._clock's time
        self._load()

    def _max_lock_s(self) -> float:
        return self.lock_s * 2 ** max(0, self.failures // self.tries - 1)

    def _load(self) -> None:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            self.failures = max(0, int(state["failures"]))
            locked_until = float(state["locked_until"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A damaged file must not open the pad: lock as after one round of wrong PINs.
            log.warning("staff PIN lockout file unreadable; locking", extra={"error": str(exc)})
            self.failures, locked_until = self.tries, self._wall() + self.lock_s
        # A wall clock set back must not lengthen the lock beyond what it was.
        remaining = min(max(0.0, locked_until - self._wall()), self._max_lock_s())
        if remaining:
            self._until = self._clock() + remaining

    def _save(self) -> None:
        remaining = max(0.0, self._until - self._clock())
        state = {"failures": self.failures, "locked_until": self._wall() + remaining}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(state, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk must not crash the staff pad; the lock holds
            log.error("staff PIN lockout not saved", extra={"error": str(exc)})

    def locked(self) -> bool:
        return self._clock() < self._until

    def failed(self) -> bool:
        """Count a wrong PIN; True when the pad must close and lock (doubling each round)."""
        self.failures += 1
        locks = self.failures % self.tries == 0
        if locks:
            self._until = self._clock() + self._max_lock_s()
        self._save()
        return locks

    def succeeded(self) -> None:
        self.failures, self._until = 0, 0.0
        self._save()
