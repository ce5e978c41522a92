"""The kiosk always exits, within a bound, with a status that says why; nothing a resident
was told is submitted is lost. The real process on a real pty: the test holds the pty's
master side (the terminal emulator) and takes it away mid-journey and mid-print.

CI runs a few rounds; `KIOSK_EXIT_ROUNDS=50 .venv/bin/python -m pytest -q
tests/test_exit_bounded.py` runs many (README "Unattended operation").
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk.lifecycle import ExitStatus
from kiosk.offline.outbox import Outbox

REPO = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("KIOSK_EXIT_ROUNDS", "2"))
BOUND_S = 10.0  # the kiosk's own grace period is 5 s; the rest is a busy shared machine


@dataclass
class PtyKiosk:
    """The kiosk process with the test as its terminal emulator."""

    proc: subprocess.Popen[bytes]
    master: int | None
    marks_fd: int
    data_dir: Path
    marks: list[str] = field(default_factory=list)
    screen: bytes = b""  # the last output, for failure messages
    _partial: bytes = b""

    def pump(self, timeout: float = 0.1, drain: bool = True) -> None:
        """Read the screen (a terminal emulator does, or the kiosk's writes block) and marks."""
        fds = [self.marks_fd] + ([self.master] if drain and self.master is not None else [])
        ready, _, _ = select.select(fds, [], [], timeout)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                continue
            if fd == self.master:
                self.screen = (self.screen + data)[-4000:]
            if fd == self.marks_fd:
                *lines, self._partial = (self._partial + data).split(b"\n")
                self.marks += [line.decode() for line in lines]

    def wait_mark(self, prefix: str, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for mark in self.marks:
                if mark.startswith(prefix):
                    return mark
            assert self.proc.poll() is None, (
                f"kiosk exited early ({self.proc.returncode}); its log ends:\n{self.log_tail()}"
            )
            self.pump()
        raise AssertionError(f"never reached {prefix!r}; marks: {self.marks}")

    def log_tail(self) -> str:
        log = self.data_dir / "logs" / "kiosk.log"
        return "\n".join(log.read_text().splitlines()[-5:])[-20000:] if log.exists() else ""

    def close_terminal(self) -> float:
        """The terminal emulator goes away; returns when it happened."""
        assert self.master is not None
        os.close(self.master)
        self.master = None
        return time.monotonic()

    def exit_within(self, start: float, bound: float = BOUND_S) -> tuple[int, float]:
        try:
            code = self.proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            threads = len(os.listdir(f"/proc/{self.proc.pid}/task"))
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"still running {bound:g} s later ({threads} threads)") from None
        return code, time.monotonic() - start


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[object]:
    started: list[PtyKiosk] = []

    def start(stage: str, *, controlling_tty: bool, name: str) -> PtyKiosk:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
        marks_r, marks_w = os.pipe()
        data_dir = tmp_path / name
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "KIOSK_TERMINAL__DATA_DIR": str(data_dir),
            "KIOSK_DEVICES__SMARTCARD__MODE": "off",
            "KIOSK_DEVICES__CAMERA__MODE": "off",
            "KIOSK_MARKS_FD": str(marks_w),
        }

        def become_terminal_owner() -> None:
            # As in a terminal emulator: its own session, the pty as controlling terminal,
            # so losing it also sends SIGHUP. Without, only EIO / EOF tell.
            os.setsid()
            if controlling_tty:
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.kiosk_in_pty", stage],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=REPO,
            env=env,
            pass_fds=(marks_w,),
            preexec_fn=become_terminal_owner,
        )
        os.close(slave)
        os.close(marks_w)
        kiosk = PtyKiosk(proc, master, marks_r, data_dir)
        started.append(kiosk)
        return kiosk

    yield start
    for kiosk in started:
        if kiosk.proc.poll() is None:
            kiosk.proc.kill()
            kiosk.proc.wait()
        os.close(kiosk.marks_fd)
        if kiosk.master is not None:
            os.close(kiosk.master)


def acknowledged_items_kept(kiosk: PtyKiosk) -> None:
    """Everything the resident was told is submitted is in the outbox or delivered."""
    told = [m.split()[1:] for m in kiosk.marks if m.startswith("acknowledged")]
    assert told, "the scripted resident never got to submit"
    outbox = Outbox.open(kiosk.data_dir / "outbox.sqlite3", None, checkpoint_interval_s=0)
    try:
        for key, local_ref in told:
            found = outbox.lookup(local_ref)
            assert found is not None and found.key == key, f"{local_ref} lost"
            assert found.state in ("pending", "delivered"), found
    finally:
        outbox.close()


@pytest.mark.parametrize("controlling_tty", [True, False], ids=["sighup", "eio-eof"])
def test_terminal_lost_mid_journey(spawn, controlling_tty: bool) -> None:  # type: ignore[no-untyped-def]
    for n in range(ROUNDS):
        kiosk = spawn("journey", controlling_tty=controlling_tty, name=f"journey-{n}")
        kiosk.wait_mark("mid-journey")
        for _ in range(5):
            kiosk.pump(0.05)  # mid-repaint
        code, took = kiosk.exit_within(kiosk.close_terminal())
        assert code == ExitStatus.TERMINAL_LOST, (n, code, took, kiosk.log_tail())


@pytest.mark.parametrize("controlling_tty", [True, False], ids=["sighup", "eio-eof"])
def test_terminal_lost_mid_print(spawn, controlling_tty: bool) -> None:  # type: ignore[no-untyped-def]
    for n in range(ROUNDS):
        kiosk = spawn("print", controlling_tty=controlling_tty, name=f"print-{n}")
        kiosk.wait_mark("mid-print")
        code, took = kiosk.exit_within(kiosk.close_terminal())
        assert code == ExitStatus.TERMINAL_LOST, (n, code, took, kiosk.log_tail())
        acknowledged_items_kept(kiosk)


def test_sigterm_while_the_terminal_is_gone(spawn) -> None:  # type: ignore[no-untyped-def]
    """No SIGHUP reaches it (not its controlling terminal): SIGTERM right after the loss."""
    for n in range(ROUNDS):
        kiosk = spawn("print", controlling_tty=False, name=f"term-{n}")
        kiosk.wait_mark("mid-print")
        gone = kiosk.close_terminal()
        kiosk.proc.send_signal(signal.SIGTERM)
        code, took = kiosk.exit_within(gone)
        assert code in (ExitStatus.TERMINAL_LOST, ExitStatus.STOPPED), (n, code, took)
        acknowledged_items_kept(kiosk)


def test_sigterm_while_the_terminal_is_frozen(spawn) -> None:  # type: ignore[no-untyped-def]
    """The terminal emulator hangs (still open, reading nothing): writes stop draining."""
    for n in range(ROUNDS):
        kiosk = spawn("print", controlling_tty=False, name=f"frozen-{n}")
        kiosk.wait_mark("mid-print")
        frozen = time.monotonic()
        while time.monotonic() - frozen < 2:  # marks only: the screen output backs up
            kiosk.pump(0.1, drain=False)
        kiosk.proc.send_signal(signal.SIGTERM)
        code, took = kiosk.exit_within(time.monotonic())
        assert code in (ExitStatus.STOPPED, ExitStatus.TERMINAL_LOST, ExitStatus.FORCED), code
        acknowledged_items_kept(kiosk)
