"""Give the memory a session freed back to the system.

CPython frees objects into glibc's malloc, which keeps freed pages for reuse; with a thread
per device and a pool of workers, the free pages of many arenas add up, and a kiosk's
resident memory creeps up for months although nothing is alive in it (the soak: ~30 MiB
freed by one trim after 20 sessions). Between residents nobody waits, so that is when the
freed pages go back (malloc_trim also releases free pages inside the heap, not only at
its top).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

from kiosk import allocator

log = logging.getLogger(__name__)


def _malloc_trim() -> ctypes._NamedFuncPointer | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


_trim = _malloc_trim()


def release_freed() -> bool:
    """Return freed heap pages to the system; False where the C library cannot."""
    if allocator.purge():  # jemalloc (kiosk/allocator.py): glibc's heap is near empty
        return True
    if _trim is None:
        return False
    _trim(0)
    return True


def collect_and_release() -> None:
    """The state between residents: cycles collected (a session's screens and answers are
    cycles), then their pages given back. The idle-time collection and the soak's readings
    both use this, so the soak measures what the kiosk keeps."""
    gc.collect()
    release_freed()
