"""Startup: process start to the interactive home screen, on the embedded defaults, in a real
pseudo-terminal, against a bare one-button Textual app started the same way in the same run."""

from __future__ import annotations

import fcntl
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterable

from kiosk.bench import BenchResult

ORDER = 0
COLUMNS, ROWS = 160, 45
READY_TIMEOUT_S = 60.0


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def time_to_ready(argv: list[str], extra_env: dict[str, str] | None = None) -> tuple[float, int]:
    """Seconds from spawning argv until it writes "ready <maxrss_kb>" to KIOSK_READY_FD."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    read_end, write_end = os.pipe()
    env = {**os.environ, "TERM": "xterm-256color", "KIOSK_READY_FD": str(write_end)}
    env.update({"KIOSK_EXIT_WHEN_READY": "1", **(extra_env or {})})
    drainer = threading.Thread(target=_drain, args=(master,), daemon=True)
    drainer.start()
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        pass_fds=(write_end,),
        start_new_session=True,
    )
    os.close(slave)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as ready:
            readable, _, _ = select.select([ready], [], [], READY_TIMEOUT_S)
            line = ready.readline() if readable else b""
        elapsed = time.perf_counter() - start
        if not line.startswith(b"ready"):
            raise RuntimeError(f"{argv} did not show its first screen within {READY_TIMEOUT_S} s")
        parts = line.split()
        rss_kb = int(parts[1]) if len(parts) > 1 else 0
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return elapsed, rss_kb


def run(quick: bool) -> Iterable[BenchResult]:
    repeat = 3 if quick else 7
    kiosk_times, bare_times, kiosk_rss, bare_rss = [], [], [], []
    with tempfile.TemporaryDirectory() as data_dir:
        kiosk = [sys.executable, "-m", "kiosk", "run"]
        bare = [sys.executable, "-m", "kiosk.bench._bare_app"]
        env = {"KIOSK_TERMINAL__DATA_DIR": data_dir}
        for _ in range(repeat):  # interleaved, so drift on a noisy machine hits both
            seconds, rss = time_to_ready(kiosk, env)
            kiosk_times.append(seconds)
            kiosk_rss.append(rss)
            seconds, rss = time_to_ready(bare)
            bare_times.append(seconds)
            bare_rss.append(rss)
    k, b = statistics.median(kiosk_times), statistics.median(bare_times)
    yield BenchResult.compare(
        "startup.to_home_screen",
        k,
        "s",
        b,
        note=f"median of {repeat}, pty {COLUMNS}x{ROWS}, until the first screen is painted; "
        "baseline: a bare Textual app pushing a one-button first screen",
    )
    yield BenchResult.compare(
        "startup.peak_rss_at_home_screen",
        statistics.median(kiosk_rss) / 1024,
        "MiB",
        statistics.median(bare_rss) / 1024,
        note="ru_maxrss when the home screen is up",
    )
