"""A SAM_A emulator on a pseudo-terminal: the other end of the real serial protocol.

The adapter opens `emulator.port` (the pty slave, or a symlink to it, the way udev names a
USB serial adapter under /dev/serial/by-id) with pyserial, exactly as it opens a real reader.

A pty has no baud rate of its own, so the emulator paces its writes to its configured rate
(10 bits per byte, 8N1) and waits a command's wire time before answering; the figures the
benchmark reports are then comparable to a real UART. It also reads the speed the host set
on the pty (visible from the master side) and, like a real UART at the wrong speed, hears
only noise and stays silent when the two differ.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import random
import select
import termios
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass, fields
from pathlib import Path

from kiosk.devices.idcard import frames as fr
from kiosk.devices.idcard.card_text import CardType
from kiosk.devices.idcard.commands import (
    BAUD_BY_CODE,
    BAUD_CMD,
    Command,
    build_sam_id,
    command_name,
)
from kiosk.devices.idcard.synthetic import SamCard, demo_card

log = logging.getLogger(__name__)

ALWAYS = -1  # a fault count that never runs out

_SPEEDS = {
    9600: termios.B9600,
    19200: termios.B19200,
    38400: termios.B38400,
    57600: termios.B57600,
    115200: termios.B115200,
}


@dataclass
class Faults:
    """Faults to inject. Counts say how many replies are affected (ALWAYS = every one)."""

    silent: int = 0  # swallow the command: the host times out
    checksum: int = 0  # send the reply with a wrong checksum
    garbage: int = 0  # send noise bytes before the reply
    trailing: int = 0  # send stray bytes after the reply
    unknown_sw3: int | None = None  # answer every command with this status byte
    pull_mid_read: str | None = None  # "partial" or "sw41": the card goes during the next read
    fragment: bool = False  # random chunks with small gaps
    slow_s: float = 0.0  # extra delay before each reply


class SamEmulator:
    def __init__(
        self,
        *,
        baudrate: int = 115200,
        pace: bool = True,
        link: str | Path | None = None,
        seed: int | None = None,
        read_delay_s: float = 0.0,
        check_host_baud: bool = True,
    ) -> None:
        if baudrate not in _SPEEDS:
            raise ValueError(f"the SAM supports {sorted(_SPEEDS)} baud, not {baudrate}")
        self.baudrate = baudrate
        self.pace = pace
        self.link = Path(link) if link else None
        self.read_delay_s = read_delay_s  # RF time a real SAM spends reading the card
        self.check_host_baud = check_host_baud
        self.faults = Faults()
        self.sam_id = build_sam_id(5, 1, 20240101, 12345, 1234567)
        self.commands: deque[str] = deque(maxlen=200)  # names of commands received
        self.noise_bytes = 0  # bytes heard at a mismatched speed
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._card: SamCard | None = None
        self._found = False
        self._selected = False
        self._master = -1
        self._slave = -1
        self._slave_path = ""
        self._stop = threading.Event()
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None

    # Lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> str:
        """The path to open: the symlink when one was asked for, else the pty slave."""
        if self.link:
            return str(self.link)
        if not self._slave_path:
            raise RuntimeError("emulator not started")
        return self._slave_path

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SamEmulator:
        if self.running:
            return self
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[4] = attrs[5] = _SPEEDS[self.baudrate]
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        os.set_blocking(self._master, False)
        self._slave_path = os.ttyname(self._slave)
        if self.link:
            tmp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self._slave_path)
            tmp.replace(self.link)
        self._wake_r, self._wake_w = os.pipe()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sam-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the pty: to the host this is an unplugged reader."""
        self._stop.set()
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                if self.link.is_symlink() and os.readlink(self.link) == self._slave_path:
                    self.link.unlink()
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = self._wake_r = self._wake_w = -1

    def __enter__(self) -> SamEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Card and faults ---------------------------------------------------------------------
    def place_card(self, card: SamCard | CardType | str = CardType.RESIDENT) -> SamCard:
        """Put a card on the reader: a SamCard, or a card type for the synthetic demo card."""
        if not isinstance(card, SamCard):
            card = demo_card(card)
        with self._lock:
            self._card = card
            self._found = self._selected = False
        return card

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self._found = self._selected = False

    @property
    def card_present(self) -> bool:
        return self._card is not None

    def set_faults(self, **changes: object) -> None:
        names = {f.name for f in fields(Faults)}
        for name, value in changes.items():
            if name not in names:
                raise ValueError(f"unknown fault {name!r}; known: {sorted(names)}")
            setattr(self.faults, name, value)

    def clear_faults(self) -> None:
        self.faults = Faults()

    def _take(self, name: str) -> bool:
        count = getattr(self.faults, name)
        if count == 0:
            return False
        if count > 0:
            setattr(self.faults, name, count - 1)
        return True

    # The wire ------------------------------------------------------------------------------
    def _run(self) -> None:
        deframer = fr.Deframer()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master, self._wake_r], [], [], 0.2)
                if self._wake_r in ready or not ready:
                    continue
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EIO:  # no process has the slave open right now
                    self._stop.wait(0.02)
                    continue
                log.warning("SAM emulator read failed: %s", exc)
                return
            if self.check_host_baud and not self._host_speed_matches():
                self.noise_bytes += len(data)
                deframer.take_rest()
                continue
            deframer.feed(data)
            while True:
                try:
                    frame = deframer.next_frame()
                except fr.ChecksumError:
                    self._send(fr.build_reply(0x10))
                    continue
                except fr.LengthError:
                    self._send(fr.build_reply(0x11))
                    continue
                if frame is None:
                    break
                self._wire_wait(len(frame.raw))
                self._handle(frame)

    def _host_speed_matches(self) -> bool:
        try:
            attrs = termios.tcgetattr(self._master)
        except termios.error:
            return True
        return attrs[5] == _SPEEDS[self.baudrate]

    def _wire_wait(self, nbytes: int) -> None:
        if self.pace:
            time.sleep(nbytes * 10 / self.baudrate)

    def _handle(self, frame: fr.Frame) -> None:
        if len(frame.body) < 2:
            self._send(fr.build_reply(0x11))
            return
        cmd, para = frame.body[0], frame.body[1]
        self.commands.append(command_name(cmd, para) or f"{cmd:02X}{para:02X}")
        if self._take("silent"):
            return
        if self.faults.slow_s:
            time.sleep(self.faults.slow_s)
        if self.faults.unknown_sw3 is not None:
            self._send(fr.build_reply(self.faults.unknown_sw3))
            return
        if cmd == BAUD_CMD:
            if para not in BAUD_BY_CODE:
                self._send(fr.build_reply(0x21))
                return
            self._send(fr.build_reply(fr.OK))
            self.baudrate = BAUD_BY_CODE[para]  # answer at the old speed, then switch
            return
        try:
            command = Command((cmd, para))
        except ValueError:
            self._send(fr.build_reply(0x21))
            return
        self._send(self._answer(command))

    def _answer(self, command: Command) -> bytes | None:
        with self._lock:
            card = self._card
            if command in (Command.RESET, Command.SAM_STATUS):
                return fr.build_reply(fr.OK)
            if command is Command.SAM_ID:
                return fr.build_reply(fr.OK, self.sam_id)
            if command is Command.FIND:
                self._found = card is not None
                return fr.build_reply(fr.FIND_OK, bytes(4)) if card else fr.build_reply(fr.NO_CARD)
            if command is Command.SELECT:
                self._selected = card is not None and self._found
                return fr.build_reply(fr.OK, bytes(8)) if self._selected else fr.build_reply(0x81)
            if card is None or not self._selected:
                return fr.build_reply(fr.READ_FAILED)
            if command is Command.READ_ADDRESS:
                if card.appended_address is None:
                    return fr.build_reply(fr.NO_CONTENT)
                return fr.build_reply(fr.OK, card.address_data())
            reply = fr.build_reply(fr.OK, card.read_data(command is Command.READ_FINGERPRINTS))
            pull, self.faults.pull_mid_read = self.faults.pull_mid_read, None
            if pull:
                self._card = None
                self._found = self._selected = False
        if self.read_delay_s:
            time.sleep(self.read_delay_s)
        if pull == "sw41":
            return fr.build_reply(fr.READ_FAILED)
        if pull:
            return reply[: len(reply) * 2 // 5]  # the card left the field mid-transfer
        return reply

    def _send(self, reply: bytes | None) -> None:
        if not reply:
            return
        if self._take("checksum"):
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        if self._take("garbage"):
            reply = bytes(self._rng.randrange(256) for _ in range(self._rng.randint(1, 24))) + reply
        if self._take("trailing"):
            reply = reply + bytes(self._rng.randrange(256) for _ in range(self._rng.randint(1, 8)))
        start = time.perf_counter()
        sent = 0
        while sent < len(reply) and not self._stop.is_set():
            if self.faults.fragment:
                size = self._rng.randint(1, 200)
            else:
                size = 64 if self.pace else len(reply)
            chunk = reply[sent : sent + size]
            if not self._write_all(chunk):
                return
            sent += len(chunk)
            if self.pace:
                lag = start + sent * 10 / self.baudrate - time.perf_counter()
                if lag > 0:
                    time.sleep(lag)
            if self.faults.fragment:
                time.sleep(self._rng.uniform(0, 0.005))

    def _write_all(self, data: bytes) -> bool:
        view = memoryview(data)
        while view and not self._stop.is_set():
            try:
                n = os.write(self._master, view)
                view = view[n:]
            except BlockingIOError:
                select.select([], [self._master], [], 0.1)
            except OSError as exc:
                log.warning("SAM emulator write failed: %s", exc)
                return False
        return not view
