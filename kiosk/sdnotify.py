"""systemd's notify protocol (sd_notify): READY=1, WATCHDOG=1, STOPPING=1, STATUS=...

Written here rather than taken from a library: the protocol is one datagram of
newline-separated KEY=VALUE lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a leading
"@" is the abstract namespace). The PyPI `sdnotify` package has been unmaintained since 2017
and `systemd-python` needs libsystemd headers and a C build for these few bytes. Stdlib only,
so the start-failure screen (deploy/out_of_service.py) can speak it from a damaged install.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class Notifier:
    """Tells the service manager about this process; a silent no-op outside systemd."""

    def __init__(self, address: str | None, watchdog_usec: int | None = None) -> None:
        self.address = address
        self.watchdog_usec = watchdog_usec
        self._sock: socket.socket | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Notifier:
        """As sd_notify(3) and sd_watchdog_enabled(3) read the environment: the watchdog is
        ours only if $WATCHDOG_PID is unset or names this process."""
        address = environ.get("NOTIFY_SOCKET") or None
        usec: int | None = None
        pid = environ.get("WATCHDOG_PID", "")
        if environ.get("WATCHDOG_USEC", "").isdigit() and (not pid or pid == str(os.getpid())):
            usec = int(environ["WATCHDOG_USEC"]) or None
        return cls(address, usec)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_interval_s(self) -> float | None:
        """How often to ping: half the watchdog timeout, as systemd recommends."""
        return self.watchdog_usec / 2e6 if self.watchdog_usec else None

    def notify(self, *lines: str) -> bool:
        """Send one datagram; False (never an exception) if the manager cannot be reached:
        a kiosk must not stop because its supervisor is briefly away."""
        if self.address is None:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)  # never let a full socket stall the UI loop
            self._sock.sendto("\n".join(lines).encode("utf-8"), target)
            return True
        except OSError:
            return False

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str = "") -> bool:
        return self.notify("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
