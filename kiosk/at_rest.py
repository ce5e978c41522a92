"""The terminal's data at rest: its directories 0700 and its files 0600, from the first write.

Residents' sealed items, logs (masked, but still about residents), the staff lockout, the
terminal's signing key: nothing in the data dir is for other users of the machine. The
`kiosk` command sets the process umask to PRIVATE_UMASK before anything else (kiosk/cli.py),
so every file and directory it creates is private as it is created (no window between
create and chmod); a data dir left 0755/0644 by an earlier version is tightened at start.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)
PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """Create `path` 0700, or make it and what it holds private again; returns it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _tighten(path)
    return path


def _tighten(root: Path) -> None:
    loose = 0
    for path in [root, *root.rglob("*")]:
        try:
            info = path.lstat()
        except OSError:  # gone meanwhile
            continue
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            continue  # not ours to change (a device path, a shared CA file)
        wanted = 0o700 if stat.S_ISDIR(info.st_mode) else stat.S_IMODE(info.st_mode) & 0o700
        if stat.S_IMODE(info.st_mode) != wanted:
            loose += 1
            path.chmod(wanted)
    if loose:
        log.warning("data dir had files others could read; made private", extra={"count": loose})
