"""The kiosk as a real process on a real pty, with the test as its terminal emulator: it
reads the screen (or the kiosk's writes would block), and can take the terminal away."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOUND_S = 10.0  # the kiosk's own grace period is 5 s; the rest is a busy shared machine


@dataclass
class PtyKiosk:
    """The kiosk process with the test as its terminal emulator."""

    proc: subprocess.Popen[bytes]
    master: int | None
    marks_fd: int
    data_dir: Path
    marks: list[str] = field(default_factory=list)
    seen: bytes = b""  # everything the kiosk wrote to its terminal (bounded)
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
            if fd == self.master and len(self.seen) < 16 << 20:
                self.seen += data
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


Spawn = Callable[..., PtyKiosk]


@contextmanager
def pty_kiosks(tmp_path: Path) -> Iterator[Spawn]:
    """Start kiosks (`python -m tests.kiosk_in_pty STAGE`) on ptys; all killed at the end."""
    started: list[PtyKiosk] = []

    def start(
        stage: str, *, controlling_tty: bool, name: str, env: dict[str, str] | None = None
    ) -> PtyKiosk:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
        marks_r, marks_w = os.pipe()
        data_dir = tmp_path / name
        env = {
            **os.environ,
            **(env or {}),
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
