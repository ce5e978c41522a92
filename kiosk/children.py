"""Helper processes that die with the kiosk, however it ends.

A clean stop terminates the helpers it started (the A4 printer's private cupsd, ...), but a
kiosk killed hard (SIGKILL, the OOM killer) runs no code: its helpers would be orphaned and
keep their ports, spool and config files. So each is started with PR_SET_PDEATHSIG: the
kernel sends it SIGTERM when its parent dies.

The kernel ties that signal to the *thread* that forked, not the process: a helper started
from a thread worker would be stopped when that worker ends. Every helper is therefore
forked from one spawner thread that lives as long as the process.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl  # looked up here: the forked child runs as little Python as possible
# One worker that is never shut down: the thread that forks every helper.
_spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-spawner")

Redirect = IO[bytes] | int | None


def _die_with(parent: int) -> None:
    """In the child, before exec: SIGTERM when the spawner thread (the process) dies."""
    _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:  # the kiosk died between fork and prctl
        os._exit(1)


def spawn(
    args: Sequence[str | Path],
    *,
    stdin: Redirect = subprocess.DEVNULL,
    stdout: Redirect = None,
    stderr: Redirect = None,
    start_new_session: bool = False,
) -> subprocess.Popen[bytes]:
    """subprocess.Popen of a helper that is sent SIGTERM if the kiosk dies before it."""
    parent = os.getpid()

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            list(args), stdin=stdin, stdout=stdout, stderr=stderr,
            start_new_session=start_new_session, preexec_fn=lambda: _die_with(parent),
        )  # fmt: skip

    return _spawner.submit(start).result()
