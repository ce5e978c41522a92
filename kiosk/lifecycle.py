"""How the kiosk process ends: every exit is bounded and its status says why.

Every way out (a signal, the terminal going away, staff 退出程序, an unhandled error) goes
through `Lifecycle.request_exit`: the first reason wins, systemd hears STOPPING=1, the app
is asked to end the session and stop, and a hard-exit timer is armed. If the clean shutdown
(devices, sync, outbox) has not finished `grace_s` later, the process leaves with
os._exit(FORCED): nothing acknowledged can be lost by that, because the outbox commits
(WAL, synchronous=FULL) before a resident is told anything.

Signals use signal.signal, not the event loop's handlers: the loop's handlers run only when
the loop runs, and the hang this guards against is a loop that no longer runs.

Nothing here imports Textual; the app side is two callables given to `bind`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

from kiosk.sdnotify import Notifier

log = logging.getLogger(__name__)


class ExitStatus(enum.IntEnum):
    """The kiosk's exit statuses (README "Exit statuses"; deploy/ acts on them)."""

    STOPPED = 0  # SIGTERM / SIGINT: a technician or systemd asked it to stop
    ERROR = 1  # an error outside the UI (Python's own status for an uncaught exception)
    CONFIG = 2  # the config is broken: cannot start
    CANNOT_START = 3  # the install is damaged (an import fails): cannot start
    STAFF_EXIT = 4  # staff chose 退出程序
    TERMINAL_LOST = 5  # SIGHUP, EIO writing the screen, EOF reading the touch input
    UNHANDLED_ERROR = 6  # a bug the UI could not recover from
    FORCED = 7  # the clean shutdown did not finish within the grace period

    @property
    def why(self) -> str:
        return self.name.lower().replace("_", " ")


# The launcher shows the 暂停服务 screen instead of restarting into the same failure.
CANNOT_START = frozenset({ExitStatus.CONFIG, ExitStatus.CANNOT_START})

SIGNAL_STATUS = {
    signal.SIGTERM: ExitStatus.STOPPED,
    signal.SIGINT: ExitStatus.STOPPED,
    signal.SIGHUP: ExitStatus.TERMINAL_LOST,
}


class Lifecycle:
    def __init__(
        self,
        notifier: Notifier | None = None,
        *,
        grace_s: float = 5.0,
        hard_exit: Callable[[int], object] | None = None,
    ) -> None:
        """`hard_exit` (os._exit for the real process; None in tests of the app, where
        nothing may end the test runner) is what the grace timer calls."""
        self.notifier = notifier or Notifier.from_env()
        self.grace_s = grace_s
        self.status: ExitStatus | None = None
        self.detail = ""
        self._hard_exit = hard_exit
        self._lock = threading.RLock()  # a signal may arrive while the main thread holds it
        self._timer: threading.Thread | None = None
        self._finished = threading.Event()
        self._stop_app: Callable[[ExitStatus, str], None] | None = None
        self._call_soon: Callable[[Callable[[], None]], object] | None = None

    # --- wiring ------------------------------------------------------------------------
    def bind(
        self,
        stop_app: Callable[[ExitStatus, str], None],
        call_soon: Callable[[Callable[[], None]], object],
    ) -> None:
        """`stop_app` ends the session and asks the UI to exit (runs on the UI loop);
        `call_soon` gets a callable onto that loop from any thread."""
        self._stop_app, self._call_soon = stop_app, call_soon

    def install_signal_handlers(self) -> None:
        for sig in SIGNAL_STATUS:
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        sig = signal.Signals(signum)
        if self._stop_app is None and self._hard_exit is not None:
            # Still starting: no session, no service started yet; nothing to wind down.
            log.warning("stopped while starting", extra={"signal": sig.name})
            self.exit_now(SIGNAL_STATUS[sig])
        self.request_exit(SIGNAL_STATUS[sig], f"signal {sig.name}")

    # --- the UI loop's side ------------------------------------------------------------
    def ready(self) -> None:
        """The home screen is up."""
        self.notifier.ready("serving")
        log.info("kiosk ready")

    def heartbeat(self) -> None:
        """Called from a timer in the UI loop: a frozen loop stops the pings."""
        self.notifier.watchdog()

    @property
    def watchdog_interval_s(self) -> float | None:
        return self.notifier.watchdog_interval_s

    # --- ending ------------------------------------------------------------------------
    def request_exit(self, status: ExitStatus, detail: str = "") -> None:
        """Ask the kiosk to stop; safe from any thread and from a signal handler. The first
        reason is the one reported; later ones only log."""
        with self._lock:
            first = self.status is None
            if first:
                self.status, self.detail = status, detail
        if not first:
            log.info("exit already under way", extra={"also": status.why, "detail": detail})
            return
        log.warning("kiosk stopping", extra={"status": int(status), "why": status.why,
                                            "detail": detail})  # fmt: skip
        self.notifier.stopping(f"stopping: {status.why} ({detail})" if detail else status.why)
        self.arm_hard_exit()
        if self._stop_app is not None and self._call_soon is not None:
            stop_app = self._stop_app
            try:
                self._call_soon(lambda: stop_app(status, detail))
            except RuntimeError:  # the loop is already closed: the hard exit still stands
                log.info("UI loop already gone")

    def arm_hard_exit(self) -> None:
        """Start the clock on the clean shutdown (once). Idempotent and thread-safe."""
        with self._lock:
            if self._timer is not None or self._hard_exit is None:
                return
            self._timer = threading.Thread(target=self._force_exit, name="hard-exit", daemon=True)
        self._timer.start()

    def _force_exit(self) -> None:
        if self._finished.wait(self.grace_s):
            return
        status = self.status if self.status is not None else ExitStatus.STOPPED
        loop = getattr(self._call_soon, "__self__", None)
        log.error("clean shutdown did not finish in time: exiting hard",
                  extra={"grace_s": self.grace_s, "why": status.why, "stacks": stacks(),
                         "tasks": tasks(loop) if isinstance(loop, asyncio.AbstractEventLoop)
                         else {}})  # fmt: skip
        flush_logs()
        assert self._hard_exit is not None
        self._hard_exit(int(ExitStatus.FORCED))

    def exit_status(self, app_return_code: int | None) -> ExitStatus:
        """The status once the UI has stopped: the requested reason, else what the app did
        (Textual returns 1 after an unhandled exception)."""
        if self.status is not None:
            return self.status
        if app_return_code == 1:
            return ExitStatus.UNHANDLED_ERROR
        return ExitStatus.ERROR if app_return_code else ExitStatus.STOPPED

    def exit_now(self, status: ExitStatus) -> NoReturn:
        """The clean shutdown is done: leave with `status` at once. Interpreter teardown
        would join every non-daemon thread (a device thread stuck in a driver call keeps
        the process alive) and flush stdio to a terminal that may be gone (turning the
        status into 120); neither is needed once the devices and the outbox are closed."""
        self._finished.set()
        log.info("kiosk stopped", extra={"status": int(status), "why": status.why})
        self.notifier.close()
        flush_logs()
        logging.shutdown()
        os._exit(int(status))


def stacks() -> dict[str, str]:
    """Where each thread is: what the hung shutdown was waiting for (for the log)."""
    names = {t.ident: t.name for t in threading.enumerate()}
    return {
        names.get(ident, str(ident)): "".join(traceback.format_stack(frame, limit=6))
        for ident, frame in sys._current_frames().items()
    }


def tasks(loop: asyncio.AbstractEventLoop) -> dict[str, str]:
    """What the UI loop's coroutines wait on (read from another thread: best effort)."""
    try:
        found = list(asyncio.all_tasks(loop))
    except RuntimeError:  # the set changed while we looked
        return {}
    result = {}
    for task in found[:40]:
        frames = task.get_stack(limit=4)
        result[task.get_name()] = " <- ".join(
            f"{f.f_code.co_name} ({f.f_code.co_filename.rsplit('/', 1)[-1]}:{f.f_lineno})"
            for f in frames
        )
    return result


def flush_logs() -> None:
    """Best effort: a log file on a full disk or a dead terminal must not keep us alive."""
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
