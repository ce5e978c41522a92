"""The thread workers' pool runs all its threads from the start, so a busy moment (every
worker busy at once) adds none and the kiosk's thread count stays what it was."""

from __future__ import annotations

import threading

from kiosk.workers import started_pool


def _pool_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("kiosk-worker")]


def test_the_pool_starts_every_thread_and_a_busy_moment_adds_none() -> None:
    before = len(_pool_threads())
    pool = started_pool(3)
    try:
        assert len(_pool_threads()) == before + 3
        all_busy = threading.Barrier(3 + 1)
        jobs = [pool.submit(all_busy.wait, 10) for _ in range(3)]
        all_busy.wait(10)  # three jobs run at once: one per thread
        for job in jobs:
            job.result(10)
        assert len(_pool_threads()) == before + 3
    finally:
        pool.shutdown()
