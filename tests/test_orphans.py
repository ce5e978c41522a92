"""A kiosk killed hard (SIGKILL: the OOM killer, a technician's kill -9) leaves no helper
process behind: the A4 printer's private cupsd (and what it runs) goes with it, so the next
kiosk does not find its port, spool and cups-pdf settings taken (kiosk/children.py)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devices.a4printer.cupsd import missing_parts
from tests.pty_helpers import Spawn, pty_kiosks


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    with pty_kiosks(tmp_path) as start:
        yield start


def _alive(pid: int) -> str | None:
    """The process's name if it runs (a zombie waiting for init to reap it does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, _, rest = stat.rpartition(") ")
    return None if rest.startswith(("Z", "X")) else name.partition("(")[2]


def _descendants(root: int) -> dict[int, str]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rpartition(") ")[2].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return {pid: name for pid in found if (name := _alive(pid))}


def test_no_helper_outlives_a_killed_kiosk(spawn: Spawn) -> None:
    missing = missing_parts()
    if missing:
        pytest.skip(f"the A4 printer emulator needs {missing}")
    kiosk = spawn("serve", controlling_tty=True, name="killed")
    kiosk.wait_mark("serving")
    children = _descendants(kiosk.proc.pid)
    assert "cupsd" in children.values(), children  # there is a helper to leave behind
    try:
        kiosk.proc.send_signal(signal.SIGKILL)
        kiosk.proc.wait()
        deadline = time.monotonic() + 10  # cupsd's clean stop after SIGTERM; a busy machine
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.05)
        survivors = {pid: name for pid, name in children.items() if _alive(pid)}
        assert survivors == {}, f"left running after the kiosk was killed: {survivors}"
    finally:
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
