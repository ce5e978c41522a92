"""The capture thread: opens the source, reads frames at a steady rate, keeps only the latest.

Nothing queues: a slow consumer simply sees fewer frames (the newest one), so memory stays
flat on a terminal that runs for months. Opening and reconnecting happen here, in the
thread, so a missing or hung camera never blocks the caller.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kiosk.devices.camera.sources import FrameSource, SourceFailed, SourceMissing

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# A camera that returns one bad frame is not yet gone; three in a row means it is.
MAX_READ_FAILURES = 3


@dataclass(frozen=True, eq=False)
class Frame:
    image: np.ndarray  # BGR, as OpenCV delivers it
    seq: int  # 1, 2, 3 … for the life of the camera object, across reconnects
    at: float  # time.monotonic() when it was read

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.image.shape[:2]
        return w, h


class LatestFrame:
    """Single-slot, thread-safe handoff from the capture thread to any number of readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None

    def put(self, frame: Frame) -> None:
        with self._cond:
            self._frame = frame
            self._cond.notify_all()

    def get(self) -> Frame | None:
        with self._cond:
            return self._frame

    def clear(self) -> None:
        with self._cond:
            self._frame = None

    def wait_newer(self, after_seq: int, timeout: float) -> Frame | None:
        """The latest frame with seq > after_seq, waiting up to timeout; None if none came."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._frame is None or self._frame.seq <= after_seq:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._frame


class RateMeter:
    """Frames per second over the last `window` frames (bounded memory)."""

    def __init__(self, window: int = 30) -> None:
        self._times: collections.deque[float] = collections.deque(maxlen=window)
        self._lock = threading.Lock()

    def tick(self, at: float) -> None:
        with self._lock:
            self._times.append(at)

    def reset(self) -> None:
        with self._lock:
            self._times.clear()

    def rate(self) -> float:
        with self._lock:
            if len(self._times) < 2:
                return 0.0
            span = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0


class CaptureListener(Protocol):
    def source_opened(self, description: str) -> None: ...

    def source_unavailable(self, exc: Exception, missing: bool) -> None: ...


class CaptureLoop:
    """Owns the source on its own daemon thread; reports open/lost through the listener."""

    def __init__(
        self,
        make_source: Callable[[], FrameSource],
        fps: float,
        listener: CaptureListener,
        latest: LatestFrame,
        meter: RateMeter,
        retry_s: float = 2.0,
    ) -> None:
        self._make_source = make_source
        self._period = 1.0 / fps
        self._listener = listener
        self._latest = latest
        self._meter = meter
        self._retry_s = retry_s
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by stop() or poke(): retry now
        self._thread: threading.Thread | None = None
        self._seq = 0
        self.frames_delivered = 0
        self.attempts = 0  # open attempts and losses reported, so callers can await the next

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="camera-capture", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Retry opening now instead of after the retry interval (used by self-test)."""
        self._wake.set()

    def _pause(self) -> None:
        self._wake.wait(self._retry_s)
        self._wake.clear()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            # A driver stuck in read() cannot be interrupted; the daemon thread is left behind
            # rather than hanging shutdown.
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                source = self._make_source()
                source.open()
            except Exception as exc:
                self._report_unavailable(exc)
                self._pause()
                continue
            try:
                self.attempts += 1
                self._listener.source_opened(source.description)
                self._read_until_lost(source)
            finally:
                try:
                    source.close()
                except Exception:
                    log.debug("camera source close failed", exc_info=True)
            if not self._stop.is_set():
                self._pause()

    def _read_until_lost(self, source: FrameSource) -> None:
        failures = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            if source.paced_by_reader:
                delay = next_at - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                # Deadline pacing keeps the average rate exact; after a long stall we restart
                # the schedule instead of bursting to catch up.
                next_at = max(next_at + self._period, time.monotonic() - self._period)
            try:
                image = source.read()
            except SourceMissing as exc:
                self._report_unavailable(exc)
                return
            except Exception as exc:  # SourceFailed, cv2.error, OSError …
                failures += 1
                if failures >= MAX_READ_FAILURES:
                    self._report_unavailable(exc)
                    return
                continue
            failures = 0
            now = time.monotonic()
            self._seq += 1
            self.frames_delivered += 1
            self._meter.tick(now)
            self._latest.put(Frame(image, self._seq, now))

    def _report_unavailable(self, exc: Exception) -> None:
        missing = isinstance(exc, SourceMissing)
        if not isinstance(exc, SourceMissing | SourceFailed):
            exc = SourceFailed(f"{type(exc).__name__}: {exc}")
        self._latest.clear()
        self._meter.reset()
        self.attempts += 1
        self._listener.source_unavailable(exc, missing)
