"""The terminal's heartbeat: report device status, paper, outbox depth and age, lock state
and clock to the platform every `platform.heartbeat_s`, and carry out the commands in the
reply (lock with a message, unlock, refresh_catalog, collect_diagnostics, restart). A command
repeats in every reply until it is acknowledged, so the ids of the commands carried out go
back with the next beat, with what each gave (and the diagnostics bundle). A restart waits
until its acknowledgement has reached the platform, so it is not carried out twice."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kiosk import __version__

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str = ""
    bundle: bytes | None = None


class HeartbeatWorker:
    def __init__(
        self,
        services: Any,
        client: Any,
        interval_s: float,
        restart: Callable[[], None] | None = None,
    ) -> None:
        self.services = services
        self.client = client
        self.interval_s = interval_s
        self.restart = restart  # how this kiosk restarts itself; None: it cannot
        self._restart_due = False
        self._acked: list[int] = []
        self._results: list[dict[str, Any]] = []
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

    def report(self) -> dict[str, Any]:
        """The optional heartbeat fields: paper, outbox age, lock state, place and clock."""
        extra: dict[str, Any] = {"sent_at": datetime.now(UTC).isoformat(timespec="seconds")}
        terminal = getattr(getattr(self.services, "config", None), "terminal", None)
        if terminal is not None:
            extra["location"] = str(terminal.location)[:200]
            region = str(getattr(terminal, "region", ""))
            if region:
                extra["region"] = region
        printer = self.services.device("printer") if hasattr(self.services, "device") else None
        if printer is not None:
            paper = str(printer.health().details.get("paper", "unknown"))
            extra["paper"] = paper if paper in ("full", "low", "out", "jammed") else "unknown"
        locked = bool(getattr(self.services, "locked", False))
        extra["locked"] = locked
        if locked:
            extra["lock_reason"] = str(getattr(self.services, "lock_reason", ""))[:64]
            extra["lock_message"] = str(getattr(self.services, "lock_message", ""))[:200]
        return extra

    def beat(self) -> list[str]:
        """Send one heartbeat and carry out its commands; returns the commands carried out."""
        devices = [
            {"device": h.device, "state": str(h.state), "detail": h.message[:500]}
            for h in self.services.health()
        ]
        depth = dead = 0
        extra = self.report()
        stats = getattr(self.services.outbox, "stats", None)
        if callable(stats):
            current = stats()
            depth, dead = current.depth, current.dead_letters
            if current.oldest_age_s is not None:
                extra["outbox_oldest_s"] = round(max(0.0, current.oldest_age_s), 1)
        if self._results:
            extra["command_results"] = self._results
        reply = self.client.heartbeat(__version__, devices, depth, dead, self._acked, extra)
        self._acked, self._results = [], []
        if self._restart_due and self.restart is not None:
            self._restart_due = False  # the platform has the acknowledgement now
            log.warning("restarting the kiosk app at the platform's request")
            self.restart()
        carried_out = []
        for command in reply["commands"]:
            if command["id"] not in self._done:
                try:
                    outcome = self.carry_out(command["command"], command.get("message") or "")
                except Exception:  # the platform answered; this command retries next beat
                    log.exception("platform command failed", extra={"command": command["command"]})
                    continue
                self._done.add(command["id"])
                carried_out.append(command["command"])
                result: dict[str, Any] = {"id": command["id"], "ok": outcome.ok,
                                          "detail": outcome.detail[:2000]}  # fmt: skip
                if outcome.bundle is not None:
                    result["bundle_b64"] = base64.b64encode(outcome.bundle).decode("ascii")
                self._results.append(result)
            self._acked.append(command["id"])
        return carried_out

    def carry_out(self, command: str, message: str = "") -> Outcome:
        log.info("platform command", extra={"command": command})
        if command == "lock":
            self.services.lock_message = message
            self.services.set_locked(True, "platform")
            return Outcome(True, "已锁定" + (f"：{message}" if message else ""))
        if command == "unlock":
            self.services.lock_message = ""
            self.services.set_locked(False, "platform")
            return Outcome(True, "已解锁")
        if command == "refresh_catalog":
            self.services.catalog.refresh(self.client)
            version = getattr(self.services.catalog, "version", "")
            return Outcome(True, f"事项目录已刷新 {version}".strip())
        if command == "collect_diagnostics":
            return self._diagnostics()
        if command == "restart":
            self.restart = self.restart or getattr(self.services, "restart_app", None)
            if self.restart is None:
                return Outcome(False, "this kiosk cannot restart itself (no supervisor hook)")
            self._restart_due = True
            return Outcome(True, "restarting after this acknowledgement")
        log.warning("unknown platform command ignored", extra={"command": command})
        return Outcome(False, f"unknown command {command}")

    def _diagnostics(self) -> Outcome:
        from dataclasses import asdict

        from kiosk.diagbundle import build

        devices = [h.to_json() for h in self.services.health()]
        outbox = self.services.outbox
        status = asdict(outbox.stats()) if outbox is not None else {"available": False}
        bundle = build(self.services.config, devices, status)
        healthy = sum(1 for d in devices if d["healthy"])
        return Outcome(
            True, f"{len(bundle)} bytes; {healthy}/{len(devices)} devices online", bundle
        )
