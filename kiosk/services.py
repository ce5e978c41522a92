"""App services: the only way screens reach devices, the outbox and the platform.

Built from config; emulated or real implementations are chosen there. Nothing here imports
Textual, so `kiosk diag` and the tests use the same services as the touch screen.

Contracts the parts implement:
- `kiosk.devices.<kind>.create(section_config, events, data_dir) -> Device` for kind in
  DEVICE_KINDS; an "emulated" mode starts its own protocol-level emulator and owns it.
- `kiosk.platform.embedded.EmbeddedPlatform(data_dir)`: `.start() -> base_url`, `.stop()`,
  `.public_key_path`; the reference server on loopback for the built-in mode.
- `kiosk.platform.client.PlatformClient(base_url, terminal_id, secret, ...)`.
- `kiosk.offline.outbox.Outbox` and `kiosk.offline.sync.SyncWorker`.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, cast

from kiosk.config import KioskConfig
from kiosk.devices.base import Device, DeviceHealth, DeviceState, EventHub
from kiosk.memory import release_freed

if TYPE_CHECKING:  # heavy modules (cv2, escpos, pyscard, httpx) load only when started
    from kiosk.catalog import CatalogStore
    from kiosk.devices.a4printer.adapter import A4Printer
    from kiosk.devices.camera.adapter import Camera
    from kiosk.devices.doccam.adapter import DocumentCamera
    from kiosk.devices.idcard.reader import IdCardReader
    from kiosk.devices.printer.adapter import ReceiptPrinter
    from kiosk.devices.smartcard.reader import SmartCardReader
    from kiosk.offline.outbox import Outbox
    from kiosk.offline.sync import SyncWorker
    from kiosk.platform.client import PlatformClient
    from kiosk.platform.embedded import EmbeddedPlatform
    from kiosk.platform.heartbeat import HeartbeatWorker
    from kiosk.resident.tickets import LocalTicketCounter

log = logging.getLogger(__name__)

DEVICE_KINDS = ("idcard", "smartcard", "printer", "camera", "a4printer", "doccam")


def _stop_part(part: object) -> None:
    stop = getattr(part, "stop", None) or getattr(part, "close", None)
    if stop is None:
        return
    try:
        stop()
    except Exception:
        log.exception("part failed to stop", extra={"part": type(part).__name__})


def create_device(kind: str, config: KioskConfig, events: EventHub) -> Device | None:
    section = getattr(config.devices, kind)
    if section.mode == "off":
        return None
    module = importlib.import_module(f"kiosk.devices.{kind}")
    return module.create(section, events, config.terminal.data_path)


@dataclass
class Services:
    config: KioskConfig
    events: EventHub = field(default_factory=EventHub)
    devices: dict[str, Device] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # kind -> why it could not start
    platform: PlatformClient | None = None
    outbox: Outbox | None = None
    sync: SyncWorker | None = None
    catalog: CatalogStore = field(init=False)
    heartbeat: HeartbeatWorker | None = None
    # Set when the outbox could not open: staff start a new one by calling it.
    reopen_outbox: Callable[[], None] | None = None
    locked: bool = False  # out of service: by staff or by a platform "lock" command
    lock_reason: str = ""
    lock_message: str = ""  # a platform lock's words for the out-of-service screen
    # Set by the app: restart it on a platform "restart" command.
    restart_app: Callable[[], None] | None = None
    tickets: LocalTicketCounter = field(init=False)
    _embedded: EmbeddedPlatform | None = None
    _started: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        from kiosk.catalog import CatalogStore
        from kiosk.resident.tickets import LocalTicketCounter

        # The cached catalog is there at once, so the guide works before the network does.
        self.catalog = CatalogStore(self.config.terminal.data_path)
        self.tickets = LocalTicketCounter(self.config.terminal.data_path)

    # Typed views of the devices (None: not configured, or not started).
    @property
    def idcard(self) -> IdCardReader | None:
        return cast("IdCardReader | None", self.devices.get("idcard"))

    @property
    def smartcard(self) -> SmartCardReader | None:
        return cast("SmartCardReader | None", self.devices.get("smartcard"))

    @property
    def printer(self) -> ReceiptPrinter | None:
        return cast("ReceiptPrinter | None", self.devices.get("printer"))

    @property
    def camera(self) -> Camera | None:
        return cast("Camera | None", self.devices.get("camera"))

    @property
    def doccam(self) -> DocumentCamera | None:
        return cast("DocumentCamera | None", self.devices.get("doccam"))

    @property
    def a4printer(self) -> A4Printer | None:
        return cast("A4Printer | None", self.devices.get("a4printer"))

    def demo_place_card(self, kind: str) -> None:
        """Emulated readers only: place the synthetic resident's card (the demo's button)."""
        if kind == "idcard" and self.idcard is not None and self.idcard.emulator is not None:
            self.idcard.emulator.place_card("resident")
        elif kind == "smartcard" and self.smartcard is not None:
            emulator = getattr(self.smartcard, "emulator", None)
            if emulator is not None:
                from kiosk.devices.smartcard.cards import demo_card

                emulator.insert(demo_card("social_security"))

    def start(self, on_progress: Callable[[str], None] | None = None) -> None:
        """Start every configured part. One part failing never stops the others."""
        from kiosk.at_rest import private_dir

        private_dir(self.config.terminal.data_path)  # before any part writes a byte
        for kind in DEVICE_KINDS:
            try:
                device = create_device(kind, self.config, self.events)
                if device is None:
                    continue
                device.start()
                self.devices[kind] = device
            except Exception as exc:  # a broken adapter is a degraded service, not a crash
                log.exception("device failed to start", extra={"device": kind})
                self.failures[kind] = f"{type(exc).__name__}: {exc}"
            if on_progress:
                on_progress(kind)
        self._start_platform()
        self._started.set()

    def _start_platform(self) -> None:
        try:
            from kiosk.platform.wiring import start_platform_services

            start_platform_services(self)
        except ModuleNotFoundError as exc:
            self.failures["platform"] = f"not available: {exc.name}"
        except Exception as exc:
            log.exception("platform services failed to start")
            self.failures["platform"] = f"{type(exc).__name__}: {exc}"

    def wait_started(self, timeout: float | None = None) -> bool:
        return self._started.wait(timeout)

    def stop(self, budget_s: float = 3.0) -> list[str]:
        """Stop everything within about `budget_s`; returns the parts still stopping then.

        Parts stop in parallel, the outbox side in order (heartbeat, sync, outbox: its items
        are committed already, this only ends the sync cleanly). A printer mid-job may wait
        up to its job timeout for the printer's confirmation; the kiosk's exit must not."""

        def outbox_side() -> None:
            for part in (self.heartbeat, self.sync, self.outbox):
                _stop_part(part)

        jobs: dict[str, Callable[[], None]] = {"outbox": outbox_side}
        for kind, device in list(self.devices.items()):
            jobs[kind] = partial(_stop_part, device)
        jobs["platform"] = lambda: _stop_part(self._embedded)
        stopping = [
            threading.Thread(target=job, name=f"stop-{name}", daemon=True)
            for name, job in jobs.items()
        ]
        for thread in stopping:
            thread.start()
        deadline = time.monotonic() + budget_s
        for thread in stopping:
            thread.join(max(0.0, deadline - time.monotonic()))
        late = [t.name.removeprefix("stop-") for t in stopping if t.is_alive()]
        if late:
            log.warning("parts still stopping; not waiting", extra={"parts": late})
        return late

    def health(self) -> list[DeviceHealth]:
        result = []
        for kind in DEVICE_KINDS:
            if kind in self.devices:
                try:
                    result.append(self.devices[kind].health())
                except Exception as exc:
                    result.append(
                        DeviceHealth(kind, DeviceState.HARDWARE_ERROR, f"status failed: {exc}")
                    )
            elif kind in self.failures:
                result.append(DeviceHealth(kind, DeviceState.HARDWARE_ERROR, self.failures[kind]))
        return result

    def device(self, kind: str) -> Device | None:
        return self.devices.get(kind)

    def report_problem(self, part: str, why: str) -> None:
        """A part that started fine has stopped working (e.g. the outbox's disk is full)."""
        self.failures[part] = why

    def clear_problem(self, part: str) -> None:
        if part in self.failures and self.reopen_outbox is None:
            del self.failures[part]

    def set_locked(self, locked: bool, reason: str) -> None:
        """Take the terminal out of service (or back). The app shows it within seconds."""
        self.locked, self.lock_reason = locked, reason if locked else ""
        self.record_audit("locked" if locked else "unlocked", reason=reason)

    def forget_resident(self) -> None:
        """A session ended: every part drops what it cached about the resident."""
        for device in self.devices.values():
            forget = getattr(device, "forget", None)
            if callable(forget):
                try:
                    forget()
                except Exception:
                    log.exception("device failed to forget", extra={"device": device.kind})
        # The platform's verification of this resident stays with this resident.
        forget = getattr(self.platform, "forget_verifications", None)
        if callable(forget):
            forget()
        release_freed()  # what the session freed goes back to the system (kiosk/memory.py)

    def network_state(self) -> tuple[str, int]:
        """("online" | "offline" | "syncing", items waiting); never touches the network.

        The sync worker knows about deliveries; with nothing to deliver it never talks to the
        platform, so the heartbeat tells whether the link is up."""
        state = getattr(self.sync, "state", None)
        if state is None:
            return ("offline", 0)
        try:
            current = state()
        except Exception:
            log.exception("sync state failed")
            return ("offline", 0)
        link = self.heartbeat.link_up() if self.heartbeat is not None else None
        if current.status == "syncing" or link is None:
            return (current.status, current.pending)
        return ("online" if link else "offline", current.pending)

    def record_audit(self, event: str, **fields: str | int | float | bool) -> None:
        """An audit event (no personal data) for the platform, through the outbox."""
        log.info("audit", extra={"event": event, **fields})
        if self.outbox is None:
            return
        try:
            key = self.outbox.new_transaction_key()
            self.outbox.enqueue(key, "audit", "audit", {"event": event, **fields}, {})
        except Exception:
            log.exception("audit event could not be queued", extra={"event": event})

    def outbox_status(self) -> dict[str, str | int | float | bool | None]:
        """Depth, age and dead letters of the offline queue, or why it is not there (for
        `kiosk diag` and the diagnostics screen alike)."""
        if self.outbox is None:
            return {
                "available": False,
                "error": self.failures.get("outbox") or self.failures.get("platform", ""),
            }
        stats = self.outbox.stats()
        return {
            "available": True,
            "can_enqueue": bool(self.outbox.can_enqueue),
            "depth": stats.depth,
            "oldest_age_s": None if stats.oldest_age_s is None else round(stats.oldest_age_s, 1),
            "dead_letters": stats.dead_letters,
            "last_sync_result": stats.last_sync_result,
            "last_error": stats.last_error,
            **self._sync_clock(),
        }

    def _sync_clock(self) -> dict[str, str | int | float | bool | None]:
        """The sync worker's own state and the terminal clock's skew against the platform's."""
        if self.sync is None:
            return {}
        state = self.sync.state()
        return {
            "sync_status": state.status,
            "clock_skew_s": state.clock_skew_s,
            "clock": state.clock_message(),
        }
