"""The lifecycle's rules: the first reason to stop is the status, a clean shutdown that
does not finish in time is cut short with FORCED, and a finished one is not."""

from __future__ import annotations

import threading

from kiosk.lifecycle import ExitStatus, Lifecycle
from kiosk.sdnotify import Notifier


class Recorder:
    def __init__(self) -> None:
        self.codes: list[int] = []
        self.done = threading.Event()

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.done.set()


def test_first_reason_wins_and_a_hung_shutdown_is_forced() -> None:
    hard_exit = Recorder()
    stops: list[tuple[ExitStatus, str]] = []
    lifecycle = Lifecycle(Notifier(None), grace_s=0.2, hard_exit=hard_exit)
    lifecycle.bind(lambda status, detail: stops.append((status, detail)), lambda fn: fn())
    lifecycle.request_exit(ExitStatus.TERMINAL_LOST, "EIO")
    lifecycle.request_exit(ExitStatus.STOPPED, "signal SIGTERM")  # later: only logged
    assert stops == [(ExitStatus.TERMINAL_LOST, "EIO")]
    assert hard_exit.done.wait(5), "the hard exit never fired"
    assert hard_exit.codes == [ExitStatus.FORCED]
    assert lifecycle.exit_status(0) is ExitStatus.TERMINAL_LOST


def test_status_from_the_app_when_nobody_asked() -> None:
    lifecycle = Lifecycle(Notifier(None))
    assert lifecycle.exit_status(None) is ExitStatus.STOPPED
    assert lifecycle.exit_status(1) is ExitStatus.UNHANDLED_ERROR  # Textual's crash status
    assert lifecycle.exit_status(42) is ExitStatus.ERROR


def test_without_a_hard_exit_nothing_is_armed() -> None:
    """In tests of the app (no hard exit given) a stop request never ends the runner."""
    lifecycle = Lifecycle(Notifier(None), grace_s=0.01)
    lifecycle.request_exit(ExitStatus.STAFF_EXIT, "staff")
    lifecycle.arm_hard_exit()
    assert lifecycle._timer is None
