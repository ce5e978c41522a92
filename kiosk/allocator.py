"""The memory allocator a long-running kiosk process uses: jemalloc, for every allocation
(Python objects included), when the machine has it.

Why: a 24/7 kiosk builds and drops a few screens' worth of objects per resident while the
caches it keeps fill in between them. Under CPython's own allocator the survivors pin its
1 MiB arenas, and under glibc's malloc they pin heap pages: measured over 500 soak sessions
(kiosk soak, probes at 25-session steps), resident memory climbed in 4-5 MiB steps under
both while the bytes in use stayed flat (Python's 88-89 MiB, malloc's 37-38 MiB). With
jemalloc (size-class slabs, unused pages purged) it stayed within 221-226 MiB with no trend.

The choice is made before Python starts (LD_PRELOAD, PYTHONMALLOC), so `kiosk run`,
`kiosk soak` and `kiosk bench` start themselves again once with it, same pid and fds
(exec). KIOSK_ALLOCATOR=system keeps glibc's malloc and CPython's allocator (for valgrind,
or a machine without it).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path

# Debian's libjemalloc2 (scripts/setup.sh installs it); the first that exists is used.
JEMALLOC_PATHS = (
    "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
    "/usr/lib/libjemalloc.so.2",
)
# Dirty pages back to the system after 1 s (the default is 10 s), none kept "muzzy"; a
# background thread does it while the kiosk idles between residents.
MALLOC_CONF = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0"
MARK = "KIOSK_ALLOCATOR"  # "jemalloc" while starting again (settle() removes it); "system": opt out
# bench too: its soak figures are read under the allocator the kiosk runs with
LONG_RUNNING = frozenset({"run", "soak", "bench"})


def jemalloc_library() -> str | None:
    return next((p for p in JEMALLOC_PATHS if Path(p).exists()), None)


def environment(environ: Mapping[str, str], library: str) -> dict[str, str]:
    """The environment the kiosk starts again with."""
    preload = " ".join(p for p in (library, environ.get("LD_PRELOAD", "")) if p)
    return {**environ, MARK: "jemalloc", "LD_PRELOAD": preload, "PYTHONMALLOC": "malloc",
            "MALLOC_CONF": environ.get("MALLOC_CONF", MALLOC_CONF)}  # fmt: skip


def restart_with_jemalloc(command: str | None, orig_argv: Sequence[str]) -> None:
    """Exec the same command again under jemalloc; returns only when it should not (not a
    long-running command, already done or declined, or no jemalloc here)."""
    if command not in LONG_RUNNING or os.environ.get(MARK) or in_use() == "jemalloc":
        return
    library = jemalloc_library()
    if library is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *orig_argv[1:]], environment(os.environ, library))


def settle(environ: MutableMapping[str, str]) -> None:
    """In the started-again process: the allocator is loaded, so children (cupsd, the
    speech engine, tools) get the environment they would have had."""
    if environ.pop(MARK, "") != "jemalloc":
        return
    library = jemalloc_library() or ""
    rest = [p for p in environ.pop("LD_PRELOAD", "").split() if p != library]
    if rest:
        environ["LD_PRELOAD"] = " ".join(rest)
    environ.pop("PYTHONMALLOC", None)
    if environ.get("MALLOC_CONF") == MALLOC_CONF:
        del environ["MALLOC_CONF"]


def in_use() -> str:
    """What this process allocates with, for diagnostics and the soak's report."""
    return "jemalloc" if _MALLCTL is not None else "glibc"


def _mallctl() -> ctypes._NamedFuncPointer | None:
    try:
        return ctypes.CDLL(None).mallctl  # only there when jemalloc is preloaded
    except AttributeError:
        return None


_MALLCTL = _mallctl()


def jemalloc_stats() -> dict[str, float] | None:
    """jemalloc's own view in MiB: allocated (bytes the program holds), active (their pages),
    resident (what the allocator keeps in memory); None when not jemalloc."""
    if _MALLCTL is None:
        return None
    epoch = ctypes.c_uint64(1)  # refreshes the statistics
    _MALLCTL(b"epoch", None, None, ctypes.byref(epoch), ctypes.c_size_t(8))
    found: dict[str, float] = {}
    for name in ("allocated", "active", "resident"):
        value, size = ctypes.c_size_t(0), ctypes.c_size_t(ctypes.sizeof(ctypes.c_size_t))
        _MALLCTL(f"stats.{name}".encode(), ctypes.byref(value), ctypes.byref(size), None, 0)
        found[name] = value.value / (1 << 20)
    return found


def purge() -> bool:
    """jemalloc: hand every arena's unused dirty pages back now; False when not jemalloc."""
    if _MALLCTL is None:
        return False
    # "arena.<MALLCTL_ARENAS_ALL>.purge" (MALLCTL_ARENAS_ALL is 4096)
    return int(_MALLCTL(b"arena.4096.purge", None, None, None, ctypes.c_size_t(0))) == 0
