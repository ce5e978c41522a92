"""Background WAL checkpoints, so a resident's commit never pays for one.

The outbox runs with wal_autocheckpoint=0; this thread runs PASSIVE checkpoints on a timer
(they never block writers) and a TRUNCATE after deletes, which also drops old ciphertext
that would otherwise linger in the -wal file.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(
        self,
        path: Path,
        interval_s: float = 1.0,
        busy_timeout_ms: int = 5000,
        on_full: Callable[[], bool] | None = None,
    ) -> None:
        self._path = path
        self._on_full = on_full  # frees the disk reserve; a checkpoint must not fail for space
        self._interval = interval_s
        self._busy_ms = busy_timeout_ms
        self._wake = threading.Event()
        self._truncate = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-checkpoint", daemon=True)
        self._thread.start()

    def request_truncate(self) -> None:
        self._truncate = True
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(
                str(self._path), isolation_level=None, timeout=self._busy_ms / 1000
            )
        except sqlite3.Error:
            log.exception("checkpoint thread cannot open the outbox")
            return
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_ms)}")
            while not self._stop.is_set():
                self._wake.wait(self._interval)
                self._wake.clear()
                mode = "TRUNCATE" if self._truncate or self._stop.is_set() else "PASSIVE"
                self._truncate = False
                checkpoint(conn, mode, self._on_full)
        finally:
            conn.close()


def checkpoint(
    conn: sqlite3.Connection, mode: str, on_full: Callable[[], bool] | None = None
) -> tuple[int, int, int] | None:
    """Run one checkpoint; on a full disk call `on_full` (frees the reserve) and retry once."""
    for attempt in (1, 2):
        try:
            row = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error as exc:  # disk full, busy: try again on the next tick
            full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            if attempt == 1 and full and on_full is not None and on_full():
                continue
            log.warning("outbox checkpoint %s failed: %s", mode, exc)
            return None
        return tuple(row) if row else None
    return None
