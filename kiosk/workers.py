"""The pool that runs the app's thread workers (device reads, prints, platform calls).

Textual runs thread workers on the event loop's default executor, which starts a thread
whenever no idle one is free, up to its bound: a busy moment months into a run (a slow
print while the resident rates) adds threads that then stay. This pool has the same bound
but starts all its threads at once, so a running kiosk's thread count is constant and a
growing one means a thread leaked.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

# asyncio's own default: min(32, cpus + 4)
SIZE = min(32, (os.cpu_count() or 1) + 4)
_installed: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor] = (
    weakref.WeakKeyDictionary()
)


def started_pool(size: int = SIZE) -> ThreadPoolExecutor:
    """A ThreadPoolExecutor whose `size` threads all run already."""
    pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kiosk-worker")
    # While every thread waits at the barrier none is idle, so each submit starts one more.
    everyone = threading.Barrier(size)
    for _ in range(size):
        pool.submit(everyone.wait)
    return pool


def install(loop: asyncio.AbstractEventLoop) -> ThreadPoolExecutor:
    """Make the started pool the loop's default executor (once per loop)."""
    pool = _installed.get(loop)
    if pool is None:
        pool = _installed[loop] = started_pool()
        loop.set_default_executor(pool)
    return pool
