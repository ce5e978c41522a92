"""The kiosk always exits, within a bound, with a status that says why; nothing a resident
was told is submitted is lost. The real process on a real pty: the test holds the pty's
master side (the terminal emulator) and takes it away mid-journey and mid-print.

CI runs a few rounds; `KIOSK_EXIT_ROUNDS=50 .venv/bin/python -m pytest -q
tests/test_exit_bounded.py` runs many (README "Unattended operation").
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.lifecycle import ExitStatus
from kiosk.offline.outbox import Outbox
from tests.pty_helpers import PtyKiosk, Spawn, pty_kiosks

ROUNDS = int(os.environ.get("KIOSK_EXIT_ROUNDS", "1"))


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    with pty_kiosks(tmp_path) as start:
        yield start


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
def test_terminal_lost_mid_journey(spawn: Spawn, controlling_tty: bool) -> None:
    for n in range(ROUNDS):
        kiosk = spawn("journey", controlling_tty=controlling_tty, name=f"journey-{n}")
        kiosk.wait_mark("mid-journey")
        for _ in range(5):
            kiosk.pump(0.05)  # mid-repaint
        code, took = kiosk.exit_within(kiosk.close_terminal())
        print(f"round {n}: status {code} after {took:.2f} s")  # shown with -s
        assert code == ExitStatus.TERMINAL_LOST, (n, code, took, kiosk.log_tail())


@pytest.mark.parametrize("controlling_tty", [True, False], ids=["sighup", "eio-eof"])
def test_terminal_lost_mid_print(spawn: Spawn, controlling_tty: bool) -> None:
    for n in range(ROUNDS):
        kiosk = spawn("print", controlling_tty=controlling_tty, name=f"print-{n}")
        kiosk.wait_mark("mid-print")
        code, took = kiosk.exit_within(kiosk.close_terminal())
        print(f"round {n}: status {code} after {took:.2f} s")  # shown with -s
        assert code == ExitStatus.TERMINAL_LOST, (n, code, took, kiosk.log_tail())
        acknowledged_items_kept(kiosk)


def test_sigterm_while_the_terminal_is_gone(spawn: Spawn) -> None:
    """No SIGHUP reaches it (not its controlling terminal): SIGTERM right after the loss."""
    for n in range(ROUNDS):
        kiosk = spawn("print", controlling_tty=False, name=f"term-{n}")
        kiosk.wait_mark("mid-print")
        gone = kiosk.close_terminal()
        kiosk.proc.send_signal(signal.SIGTERM)
        code, took = kiosk.exit_within(gone)
        print(f"round {n}: status {code} after {took:.2f} s")  # shown with -s
        assert code in (ExitStatus.TERMINAL_LOST, ExitStatus.STOPPED), (n, code, took)
        acknowledged_items_kept(kiosk)


def test_sigterm_while_the_terminal_is_frozen(spawn: Spawn) -> None:
    """The terminal emulator hangs (still open, reading nothing): writes stop draining."""
    for n in range(ROUNDS):
        kiosk = spawn("print", controlling_tty=False, name=f"frozen-{n}")
        kiosk.wait_mark("mid-print")
        frozen = time.monotonic()
        while time.monotonic() - frozen < 2:  # marks only: the screen output backs up
            kiosk.pump(0.1, drain=False)
        kiosk.proc.send_signal(signal.SIGTERM)
        code, took = kiosk.exit_within(time.monotonic())
        print(f"round {n}: status {code} after {took:.2f} s")  # shown with -s
        assert code in (ExitStatus.STOPPED, ExitStatus.TERMINAL_LOST, ExitStatus.FORCED), code
        acknowledged_items_kept(kiosk)
