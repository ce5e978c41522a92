"""A preallocated file beside the outbox, given up only to drain a full disk.

Draining needs disk space before it frees any: marking an attempt, moving a delivered item
and checkpointing the WAL all write first. When something else fills the disk (a runaway
log), the reserve is deleted so those writes fit, the drain frees the pages the items held,
and the reserve comes back once there is room again. Enqueue never touches it: while the
reserve is out, new items are refused plainly (OutboxFull) until it can be made again, so
the space it freed serves only the drain and checkpoints, and what is queued can always leave.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

MAX_RESERVE_BYTES = 16 * 2**20
MIN_RESERVE_BYTES = 64 * 2**10  # a one-item transaction's WAL and a checkpoint fit in it
RESERVE_SHARE = 0.02  # of the filesystem's size, so a small card is not eaten by it


def default_reserve_bytes(directory: Path) -> int:
    try:
        st = os.statvfs(directory)
    except OSError:
        return 0
    share = st.f_blocks * st.f_frsize * RESERVE_SHARE
    size = int(max(MIN_RESERVE_BYTES, min(MAX_RESERVE_BYTES, share)))
    return size - size % 4096  # whole pages


class DiskReserve:
    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = max(0, size)
        self.held = False  # known in memory: enqueue checks it on every item

    def ensure(self) -> bool:
        """(Re)create the reserve when it is missing and twice its size is free."""
        if self.size == 0:
            return True
        if self.held or self.path.exists():
            self.held = True
            return True
        try:
            st = os.statvfs(self.path.parent)
            if st.f_bavail * st.f_frsize < 2 * self.size:
                return False
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            return False
        try:
            os.posix_fallocate(fd, 0, self.size)  # real blocks, not a sparse file
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            log.warning("cannot preallocate the outbox disk reserve %s: %s", self.path, exc)
            return False
        os.close(fd)
        self.held = True
        return True

    def release(self) -> int:
        """Delete the reserve; returns the bytes freed (0 when there was none)."""
        self.held = False
        try:
            size = self.path.stat().st_size
            self.path.unlink()
        except FileNotFoundError:
            return 0
        return size
