"""The wire to the printer: a python-escpos 3.1 printer object (Network, Serial or Usb) for
sending, plus the one-byte, time-limited reads that real-time status needs and python-escpos
lacks (its `_read` takes up to 16 bytes, and silence reads as "paper OK").
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from typing import Any


class LinkLost(Exception):
    """The connection is gone (peer closed, cable pulled, port vanished)."""


class Link:
    def __init__(
        self, kind: str, describe: str, factory: Callable[[], Any], baudrate: int | None = None
    ) -> None:
        self.kind = kind  # network | serial | usb
        self.describe = describe
        self.baudrate = baudrate
        self._factory = factory
        self.printer: Any = None
        self._rx = bytearray()  # USB reads can return several bytes at once

    @property
    def is_open(self) -> bool:
        return self.printer is not None

    def open(self) -> None:
        self.close()
        try:
            printer = self._factory()
            printer.open()
        except Exception as exc:  # DeviceNotFoundError, OSError, missing pyusb, ...
            raise LinkLost(f"cannot open {self.describe}: {_short(exc)}") from None
        if printer.device is None:
            raise LinkLost(f"cannot open {self.describe}")
        if self.kind == "network":
            # Status queries are 3-byte writes answered by 1 byte: without NODELAY, Nagle and
            # delayed ACKs add ~40 ms to each job's end-of-job acknowledgement.
            printer.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.printer = printer
        self._rx.clear()

    def close(self) -> None:
        printer, self.printer = self.printer, None
        if printer is not None:
            with contextlib.suppress(Exception):
                printer.close()
            printer._device = False  # keep escpos's __del__ from closing again

    def write(self, data: bytes) -> None:
        if self.printer is None:
            raise LinkLost("not connected")
        dev = self.printer.device
        try:
            if self.kind == "serial":
                # pyserial blocks forever by default; allow the wire time plus a margin.
                dev.write_timeout = 2.0 + len(data) * 10 / (self.baudrate or 9600) * 2
            self.printer._raw(data)
        except Exception as exc:
            self.close()
            raise LinkLost(f"write to {self.describe} failed: {_short(exc)}") from None

    def read_byte(self, timeout: float) -> int | None:
        """One byte, or None when nothing comes within `timeout` seconds."""
        if self._rx:
            return self._rx.pop(0)
        if self.printer is None:
            raise LinkLost("not connected")
        dev = self.printer.device
        try:
            if self.kind == "network":
                dev.settimeout(max(timeout, 0.001))
                try:
                    data = dev.recv(1)
                except TimeoutError:
                    return None
                if not data:
                    raise LinkLost(f"{self.describe} closed the connection")
                return data[0]
            if self.kind == "serial":
                dev.timeout = max(timeout, 0.001)
                data = dev.read(1)
                return data[0] if data else None
            return self._usb_read(dev, timeout)
        except LinkLost:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise LinkLost(f"read from {self.describe} failed: {_short(exc)}") from None

    def drain(self) -> int:
        """Drop stale input (late replies to an earlier query); returns how many bytes."""
        dropped = len(self._rx)
        self._rx.clear()
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline and self.read_byte(0.0) is not None:
            dropped += 1
        return dropped

    def _usb_read(self, dev: Any, timeout: float) -> int | None:
        import usb.core

        try:
            data = dev.read(self.printer.in_ep, 64, max(int(timeout * 1000), 1))
        except usb.core.USBTimeoutError:
            return None
        if not data:
            return None
        self._rx += bytes(data[1:])
        return int(data[0])


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:200]


def network_link(host: str, port: int, timeout: float) -> Link:
    def make() -> Any:
        from escpos.printer import Network

        return Network(host, port, timeout=timeout)

    return Link("network", f"{host}:{port}", make)


def serial_link(device: str, baudrate: int, timeout: float, dsrdtr: bool = False) -> Link:
    def make() -> Any:
        from escpos.printer import Serial

        return Serial(devfile=device, baudrate=baudrate, timeout=timeout, dsrdtr=dsrdtr)

    return Link("serial", f"{device}@{baudrate}", make, baudrate)


def usb_link(vendor: int, product: int, timeout: float) -> Link:
    def make() -> Any:
        from escpos.printer import Usb

        return Usb(vendor, product, timeout=int(timeout * 1000))

    return Link("usb", f"usb {vendor:04x}:{product:04x}", make)
