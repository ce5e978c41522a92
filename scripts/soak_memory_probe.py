"""Where a soak's resident memory goes, under a chosen allocator: every 25 sessions, RSS
against its parts (CPython's arenas and the bytes in its objects, malloc's bytes in use,
SQLite's heap). What chose jemalloc for the kiosk (kiosk/allocator.py).

    .venv/bin/python scripts/soak_memory_probe.py --allocator cpython 500
    .venv/bin/python scripts/soak_memory_probe.py --allocator glibc 500
    .venv/bin/python scripts/soak_memory_probe.py --allocator jemalloc 500
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import os
import re
import sys
import tempfile
from pathlib import Path

from kiosk import allocator
from kiosk.soak.run import SoakReport, Usage, soak


class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                "usmblks", "fsmblks", "uordblks", "fordblks",
                                                "keepcost")]  # fmt: skip


def cpython_arenas() -> str:
    """CPython's own allocator: 1 MiB arenas held, and the bytes its objects use in them."""
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)  # _debugmallocstats writes to the C stderr
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode()
    arenas = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", text)
    used = re.search(r"# bytes in allocated blocks\s*=\s*([\d,]+)", text)
    if not arenas or not used:
        return "pymalloc off"
    mib = int(used.group(1).replace(",", "")) / 2**20
    return f"arenas {int(arenas.group(1).replace(',', ''))} holding {mib:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allocator", choices=("cpython", "glibc", "jemalloc"), required=True)
    parser.add_argument("sessions", type=int)
    parser.add_argument("--warmup", type=int, default=25)
    args = parser.parse_args()
    wanted = {"cpython": None, "glibc": "malloc", "jemalloc": "malloc"}[args.allocator]
    if os.environ.get("PYTHONMALLOC") != wanted and not os.environ.get("PROBE_STARTED"):
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONMALLOC", "LD_PRELOAD")}
        env |= {"PROBE_STARTED": "1", allocator.MARK: "system"}
        if args.allocator == "jemalloc":
            library = allocator.jemalloc_library()
            assert library, "libjemalloc2 is not installed"
            env = allocator.environment(env, library) | {"PROBE_STARTED": "1"}
        elif wanted:
            env["PYTHONMALLOC"] = wanted
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)

    sqlite = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
    sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.mallinfo2.restype = Mallinfo2
    print(f"allocator: {args.allocator} (malloc: {allocator.in_use()})", flush=True)

    def progress(done: int, report: SoakReport) -> None:
        if done % 25:
            return
        usage = Usage.now()
        glibc_in_use = libc.mallinfo2().uordblks / 2**20
        je = allocator.jemalloc_stats()
        jemalloc = "  jemalloc " + " ".join(f"{k} {v:.1f}" for k, v in je.items()) if je else ""
        print(f"{done:5d} sessions  RssAnon {usage.anon_mib:6.1f} MiB (RSS {usage.rss_mib:6.1f})  {cpython_arenas()}  "
              f"glibc in use {glibc_in_use:5.1f} MiB  "
              f"SQLite {sqlite.sqlite3_memory_used() / 2**20:4.2f} MiB{jemalloc}", flush=True)  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="kiosk-probe-") as data_dir:
        report = asyncio.run(soak(args.sessions, Path(data_dir), warmup=args.warmup,
                                  progress=progress))  # fmt: skip
    print(report.summary())


if __name__ == "__main__":
    main()
