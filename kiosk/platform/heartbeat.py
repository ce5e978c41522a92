"""The terminal's heartbeat: report device status and outbox depth to the platform every
`platform.heartbeat_s`, and carry out the commands in the reply (lock, unlock,
refresh_catalog). A command repeats in every reply until it is acknowledged, so the ids of
the commands carried out go back with the next beat."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kiosk import __version__

log = logging.getLogger(__name__)


class HeartbeatWorker:
    def __init__(self, services: Any, client: Any, interval_s: float) -> None:
        self.services = services
        self.client = client
        self.interval_s = interval_s
        self._acked: list[int] = []
        self._done: set[int] = set()  # ids already carried out, in case an ack is lost
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.last_ok_at: float | None = None  # monotonic time of the last answered beat

    def start(self) -> HeartbeatWorker:
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
                self.last_error, self.last_ok_at = None, time.monotonic()
            except Exception as exc:  # offline is normal for a kiosk: try again next beat
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.info("heartbeat failed", extra={"error": self.last_error})
            self._stop.wait(self.interval_s)

    def link_up(self) -> bool | None:
        """Whether the platform answered the last beat; None before the first one."""
        if self.last_error is not None:
            return False
        return None if self.last_ok_at is None else True

    def beat(self) -> list[str]:
        """Send one heartbeat and carry out its commands; returns the commands carried out."""
        devices = [
            {"device": h.device, "state": str(h.state), "detail": h.message[:500]}
            for h in self.services.health()
        ]
        depth = dead = 0
        stats = getattr(self.services.outbox, "stats", None)
        if callable(stats):
            current = stats()
            depth, dead = current.depth, current.dead_letters
        reply = self.client.heartbeat(__version__, devices, depth, dead, self._acked)
        self._acked = []
        carried_out = []
        for command in reply["commands"]:
            if command["id"] not in self._done:
                try:
                    self.carry_out(command["command"])
                except Exception:  # the platform answered; this command retries next beat
                    log.exception("platform command failed", extra={"command": command["command"]})
                    continue
                self._done.add(command["id"])
                carried_out.append(command["command"])
            self._acked.append(command["id"])
        return carried_out

    def carry_out(self, command: str) -> None:
        log.info("platform command", extra={"command": command})
        if command == "lock":
            self.services.set_locked(True, "platform")
        elif command == "unlock":
            self.services.set_locked(False, "platform")
        elif command == "refresh_catalog":
            self.services.catalog.refresh(self.client)
        else:
            log.warning("unknown platform command ignored", extra={"command": command})
