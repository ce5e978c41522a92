"""The kiosk speaks systemd's notify protocol to a real AF_UNIX datagram socket standing in
for systemd ($NOTIFY_SOCKET): READY=1 once the home screen is drawn, WATCHDOG=1 from the UI
loop while it runs and none while it is blocked, STOPPING=1 with a STATUS when it stops."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.lifecycle import ExitStatus
from kiosk.sdnotify import Notifier
from tests.pty_helpers import PtyKiosk, Spawn, pty_kiosks

WATCHDOG_USEC = 1_000_000  # pings every 0.5 s


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    with pty_kiosks(tmp_path) as start:
        yield start


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.setblocking(False)
    yield sock
    sock.close()


def received(sock: socket.socket, kiosk: PtyKiosk, seconds: float) -> list[tuple[float, str]]:
    """Datagrams for `seconds`, with when they came; the kiosk's screen is read meanwhile."""
    got: list[tuple[float, str]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        kiosk.pump(0.02)
        try:
            while True:
                got.append((time.monotonic(), sock.recv(4096).decode()))
        except BlockingIOError:
            pass
    return got


def test_ready_watchdog_and_stopping(spawn: Spawn, systemd: socket.socket, tmp_path: Path) -> None:
    kiosk = spawn(
        "freeze",
        controlling_tty=False,
        name="notify",
        env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": str(WATCHDOG_USEC)},
    )
    deadline = time.monotonic() + 120
    while not any("READY=1" in m.splitlines() for _, m in received(systemd, kiosk, 0.05)):
        assert time.monotonic() < deadline, "no READY=1"
    # The frame is handed to Textual's writer thread before READY=1; it reaches the pty in
    # several reads. Take what follows without a pause: a READY=1 sent before the home
    # screen was composed would leave the terminal quiet first.
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 0.5 and "刷身份证".encode() not in kiosk.seen:
        before = len(kiosk.seen)
        kiosk.pump(0.05)
        if len(kiosk.seen) != before:
            quiet_since = time.monotonic()
    assert "刷身份证".encode() in kiosk.seen, "READY=1 before the home screen was drawn"

    kiosk.wait_mark("armed")
    running = [m for _, m in received(systemd, kiosk, 2.0) if m == "WATCHDOG=1"]
    assert len(running) >= 3, running  # every 0.5 s

    kiosk.proc.send_signal(signal.SIGUSR1)  # the UI loop blocks for 4 s
    kiosk.wait_mark("frozen")
    frozen = received(systemd, kiosk, 3.0)
    assert [m for _, m in frozen if m == "WATCHDOG=1"] == [], "pinged from a frozen loop"
    kiosk.wait_mark("thawed")
    after = [m for _, m in received(systemd, kiosk, 1.5) if m == "WATCHDOG=1"]
    assert after, "pings did not resume"

    kiosk.proc.send_signal(signal.SIGTERM)
    code, _took = kiosk.exit_within(time.monotonic())
    assert code == ExitStatus.STOPPED
    last = [m for _, m in received(systemd, kiosk, 0.2)]
    assert any("STOPPING=1" in m and "STATUS=stopping: stopped" in m for m in last), last


def test_notifier_outside_systemd_is_silent() -> None:
    assert not Notifier.from_env({}).notify("READY=1")


def test_watchdog_belongs_to_the_named_process_only() -> None:
    env = {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000"}
    assert Notifier.from_env(env).watchdog_interval_s == 15.0
    other = {**env, "WATCHDOG_PID": str(os.getpid() + 1)}
    assert Notifier.from_env(other).watchdog_interval_s is None


def test_abstract_socket_address() -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"kiosk-test-{os.getpid()}"
    sock.bind("\0" + name)
    try:
        assert Notifier(f"@{name}").status("serving")
        assert sock.recv(100) == b"STATUS=serving"
    finally:
        sock.close()
