"""Fixtures for the smartcard tests: a real pcscd with the vpcd driver, a virtual card slot,
and the adapter under test. Import the fixtures you use into your test module.

Tests use vpcd slot 1 (port 35964, reader "Virtual PCD 00 01") so that an emulated kiosk
(slot 0 by default) running at the same time does not collide with them.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.devices.base import DeviceError, DeviceEvent, EventHub, EventKind
from kiosk.devices.smartcard import pcsc
from kiosk.devices.smartcard.pcscd import PcscdHandle, ensure_pcscd, find_pcscd, pcscd_running
from kiosk.devices.smartcard.reader import SmartCardReader
from kiosk.devices.smartcard.vpcd_card import VPCD_PORT, VirtualCardSlot, vpcd_reader_name

TEST_PORT = 35964
TEST_READER = vpcd_reader_name(TEST_PORT)  # "Virtual PCD 00 01"


@dataclass
class PcscdService:
    """The session's use of pcscd; a test that restarts pcscd swaps `handle`."""

    handle: PcscdHandle


SLOT_LOCK = Path(tempfile.gettempdir()) / "kiosk-smartcard-tests.lock"


@pytest.fixture(scope="session")
def pcscd_service() -> Iterator[PcscdService]:
    # vpcd's ports are fixed, so two test runs at once would put cards into each other's
    # slot: a second run waits for the first instead.
    lock = os.open(SLOT_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + 300
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(lock)
                raise RuntimeError(f"another smartcard test run holds {SLOT_LOCK}") from None
            time.sleep(0.2)
    try:
        # Fails loudly (PcscdError) when pcscd or the vpcd driver is missing.
        service = PcscdService(ensure_pcscd(TEST_READER, timeout=15))
        yield service
        # Stops pcscd if a kiosk process (we) started it and nobody else uses it any more;
        # a pcscd that was running before the tests is left alone.
        service.handle.stop(wait_s=10)
    finally:
        os.close(lock)


class EventLog:
    """Collects device events; tests wait for the next event of a kind."""

    def __init__(self, hub: EventHub) -> None:
        self.events: list[DeviceEvent] = []
        self._cond = threading.Condition()
        self._seen = 0
        hub.subscribe(self._add)

    def _add(self, event: DeviceEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def kinds(self) -> list[EventKind]:
        with self._cond:
            return [e.kind for e in self.events]

    def next(self, kind: EventKind, timeout: float = 10.0) -> DeviceEvent:
        """The first event of `kind` after the last one returned by `next`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(self._seen, len(self.events)):
                    if self.events[i].kind == kind:
                        self._seen = i + 1
                        return self.events[i]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind} event within {timeout} s; got {self.events}")
                self._cond.wait(left)


def wait_reader_empty(reader: str, timeout: float = 5.0) -> None:
    """Block until pcscd itself reports no card in `reader` (so tests do not overlap)."""
    deadline = time.monotonic() + timeout
    with pcsc.Context() as ctx:
        while time.monotonic() < deadline:
            (_, state, _), *_ = ctx.get_status_change(0, [(reader, 0, b"")])
            if not state & pcsc.STATE_PRESENT:
                return
            time.sleep(0.05)
    raise AssertionError(f"{reader} still reports a card after {timeout} s")


@pytest.fixture
def slot(pcscd_service: PcscdService) -> Iterator[VirtualCardSlot]:
    card_slot = VirtualCardSlot(port=TEST_PORT)
    yield card_slot
    card_slot.remove()
    assert not any(t.name == "vpcd-card" and t.is_alive() for t in threading.enumerate())
    wait_reader_empty(TEST_READER)


@pytest.fixture
def events() -> EventHub:
    return EventHub()


@pytest.fixture
def event_log(events: EventHub) -> EventLog:
    return EventLog(events)


@pytest.fixture
def reader(pcscd_service: PcscdService, events: EventHub) -> Iterator[SmartCardReader]:
    device = SmartCardReader(events, reader=TEST_READER, read_timeout_s=10, retry_s=0.2)
    device.start()
    assert device.wait_online(timeout=10), device.health()
    yield device
    device.stop()
    assert not any(t.name == "smartcard-monitor" and t.is_alive() for t in threading.enumerate())


# --- a private pcscd, for the test that stops and restarts it ------------------------------
#
# The machine's pcscd is shared with other kiosk processes (the app, `kiosk diag`, other
# tests), so a test must not stop it. pcscd's socket path is fixed at build time, so we run
# a second one in a private mount namespace with our own directory bound over /run/pcscd
# (socket and pid file), our own reader.conf.d (vpcd on free ports), and point a client
# process at it with PCSCLITE_CSOCK_NAME (libpcsclite reads it once per process).


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind(("0.0.0.0", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two adjacent free TCP ports")


class PrivatePcscd:
    """`pcscd --foreground` of our own: socket at `<root>/run/pcscd.comm`, vpcd slot 0 on
    `port`. Needs root and `unshare -m` (CAP_SYS_ADMIN)."""

    def __init__(self, root: Path) -> None:
        self.run = root / "run"
        self.conf = root / "reader.conf.d"
        self.run.mkdir(parents=True)
        self.conf.mkdir(parents=True)
        self.port = _free_port_pair()
        self.log = root / "pcscd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        return self.run / "pcscd.comm"

    def start(self, timeout: float = 10.0) -> None:
        (self.conf / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.port:X}\n"
            "LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n"
            f"CHANNELID    0x{self.port:X}\n"
        )
        pcscd = find_pcscd()
        if pcscd is None or shutil.which("unshare") is None:
            raise RuntimeError("pcscd and unshare (util-linux) are needed for this test")
        script = (
            "set -e; mount --make-rprivate /; mkdir -p /run/pcscd; "
            f"mount --bind {self.run} /run/pcscd; exec {pcscd} --foreground -c {self.conf}"
        )
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                ["unshare", "-m", "sh", "-c", script],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while not pcscd_running(self.socket_path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"private pcscd did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        self.socket_path.unlink(missing_ok=True)


@pytest.fixture
def private_pcscd(tmp_path: Path) -> Iterator[PrivatePcscd]:
    daemon = PrivatePcscd(tmp_path / "pcscd")
    daemon.start()
    yield daemon
    daemon.stop()


class ReaderClient:
    """The adapter in its own process, bound to a private pcscd; driven over stdin/stdout."""

    def __init__(self, daemon: PrivatePcscd) -> None:
        env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(daemon.socket_path)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.smartcard_fixtures", str(daemon.port)],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put({"eof": True})

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def expect(self, key: str, value: str, timeout: float = 10.0) -> dict[str, Any]:
        """Skip lines until one has `key == value`."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {key}={value} within {timeout} s; saw {seen}") from None
            if line.get("eof"):
                raise AssertionError(f"client exited before {key}={value}; saw {seen}")
            if line.get(key) == value:
                return line
            seen.append(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)


def _client_main(port: int) -> None:
    """Runs in the client process: reader on vpcd slot 0 of the private pcscd."""
    from kiosk.devices.smartcard.cards import SocialSecurityCardApp

    def out(**data: Any) -> None:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()

    hub = EventHub()
    hub.subscribe(lambda e: out(event=str(e.kind), **{k: str(v) for k, v in e.detail.items()}))
    device = SmartCardReader(hub, reader=vpcd_reader_name(VPCD_PORT), retry_s=0.2)
    card_slot = VirtualCardSlot(port=port)
    app = SocialSecurityCardApp()
    device.start()
    out(ready=str(device.wait_online(timeout=10)))
    for line in sys.stdin:
        command = line.strip()
        if command == "insert":
            card_slot.insert(app)
        elif command == "read":
            try:
                card = device.read_social_security()
                out(read="ok", matches=str(card.id_number == app.holder.id_number))
            except DeviceError as exc:
                out(read=exc.code)
        elif command == "health":
            out(health=str(device.health().state))
        elif command == "quit":
            break
    card_slot.remove()
    device.stop()


if __name__ == "__main__":
    _client_main(int(sys.argv[1]))
