"""`ReceiptPrinter`: the receipt printer adapter (python-escpos 3.1 over TCP, serial or USB).

Each job: check real-time status (DLE EOT 1..4) and refuse when the printer cannot print;
send ESC @, FS & (Chinese mode) and the receipt; then send GS r 1, which the printer answers
only after everything before it has printed, while polling DLE EOT to notice paper out or a
lost link. A receipt that did not come out whole is kept in a durable pending store for
staff to reprint. A background poll keeps health() fresh, emits paper/cover/link events and
reconnects by itself.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.devices.base import (
    Device,
    DeviceError,
    DeviceHealth,
    DeviceState,
    EventHub,
    EventKind,
    PaperState,
    SelfTestResult,
)
from kiosk.devices.printer.link import Link, LinkLost
from kiosk.devices.printer.pending import PendingReceipt, PendingStore
from kiosk.devices.printer.receipt import Receipt, encode_receipt, test_page_receipt
from kiosk.devices.printer.status import (
    STATUS_KINDS,
    PrinterStatus,
    StatusError,
    is_gs_r_byte,
    is_status_byte,
    parse_status,
    query_bytes,
)

log = logging.getLogger(__name__)

GS_R_PAPER = b"\x1d\x72\x01"  # GS r 1: answered in buffer order, i.e. once printed
CONFIRM_POLL_S = 0.25
_MESSAGES = {
    None: "ready",
    "cover_open": "printer cover open",
    "paper_out": "paper out",
    "cutter_error": "autocutter error",
    "hardware_error": "printer hardware error",
    "offline": "printer offline",
}


class NoAnswer(Exception):
    """The printer did not answer a DLE EOT query in time."""


class PrintInterrupted(DeviceError):
    """The job started but did not come out whole; the receipt is kept for reprinting.

    `cause` is the DeviceError code of what stopped it (paper_out, cover_open, offline, ...);
    `pending_id` names the kept receipt (see ReceiptPrinter.pending()).
    """

    def __init__(self, cause: str, pending_id: str | None, message: str) -> None:
        super().__init__("print_interrupted", message, state=DeviceState.USER_ERROR)
        self.cause = cause
        self.pending_id = pending_id


@dataclass(frozen=True)
class PrintResult:
    bytes_sent: int
    duration_s: float
    confirmed: bool  # the printer acknowledged the end of the job (GS r answered)
    paper: PaperState  # after the job; LOW means staff should restock soon
    status_bytes: dict[str, str] = field(default_factory=dict)
    reprinted: str | None = None  # pending id when this was a reprint


class ReceiptPrinter(Device):
    kind = "printer"

    def __init__(
        self,
        events: EventHub,
        link: Link,
        *,
        data_dir: Path,
        width_chars: int = 32,
        profile: str = "default",
        timeout_s: float = 5.0,
        poll_interval_s: float = 2.0,
        job_timeout_s: float = 30.0,
        confirm_printed: bool = True,
        emulator: Any = None,
    ) -> None:
        super().__init__(events)
        self.link = link
        self.width_chars = width_chars
        self.profile = profile
        self.timeout_s = timeout_s
        self.poll_interval_s = poll_interval_s
        self.job_timeout_s = job_timeout_s
        self.confirm_printed = confirm_printed
        self.emulator = emulator  # the VirtualPrinter this adapter owns, in emulated mode
        self.store = PendingStore(Path(data_dir) / "printer-pending.json")
        self._io = threading.RLock()  # one conversation with the printer at a time
        self._state = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._gs_r: int | None = None
        self._reachable: bool | None = None
        self._status: PrinterStatus | None = None
        self._paper = PaperState.FULL
        self._cover_open = False
        self._error = ""
        self._busy = False
        self._checked_at = 0.0
        self._jobs = 0
        self._health = DeviceHealth(
            "printer", DeviceState.NO_DEVICE, "not started", self._details()
        )

    # -- Device -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll_loop, name="printer-poll", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.timeout_s * 4 + 2)
        with self._io:
            self.link.close()
        if self.emulator is not None:
            self.emulator.stop()

    def health(self) -> DeviceHealth:
        with self._state:
            return self._health

    def self_test(self) -> SelfTestResult:
        started = time.perf_counter()
        try:
            status = self.status()
        except DeviceError as exc:
            return SelfTestResult("printer", False, str(exc), {"code": exc.code, **self._details()})
        rtt = (time.perf_counter() - started) * 1000
        details = {"round_trip_ms": round(rtt, 1), **self._details()}
        problem = status.problem
        return SelfTestResult("printer", problem is None, _MESSAGES[problem], details)

    # -- public -------------------------------------------------------------------------

    def status(self) -> PrinterStatus:
        """A live DLE EOT 1..4 query (connects if needed). DeviceError("offline") when the
        printer cannot be reached or does not answer, "bad_status_reply" for garbage."""
        if not self._io.acquire(timeout=self.job_timeout_s + self.timeout_s):
            raise DeviceError("busy", "printer busy with a job", state=DeviceState.DEVICE_BUSY)
        try:
            return self._checked_status()
        finally:
            self._io.release()

    def print_receipt(self, receipt: Receipt, *, keep_if_refused: bool = False) -> PrintResult:
        """Print one receipt. Raises DeviceError(code) without printing when the printer is
        not ready (paper_out, cover_open, cutter_error, hardware_error, offline, busy,
        bad_status_reply), PrintInterrupted when it stopped mid-job (the receipt is kept)."""
        data = encode_receipt(receipt, self.width_chars, self.profile)
        try:
            return self._print(receipt, data, None)
        except PrintInterrupted:
            raise
        except DeviceError as exc:
            if keep_if_refused:
                self._keep(receipt, exc.code, None)
            raise

    def test_page(self, terminal_name: str = "", terminal_id: str = "") -> PrintResult:
        receipt = test_page_receipt(terminal_name, terminal_id, self.width_chars)
        return self._print(
            receipt, encode_receipt(receipt, self.width_chars, self.profile), None, keep=False
        )

    def pending(self) -> list[PendingReceipt]:
        return self.store.list()

    def reprint_pending(self) -> list[PrintResult]:
        """Reprint kept receipts oldest first (marked as reprints); each leaves the store once
        printed whole. Stops at the first failure and raises it; the rest stay kept."""
        results = []
        for item in self.store.list():
            receipt = item.receipt.as_reprint()
            data = encode_receipt(receipt, self.width_chars, self.profile)
            results.append(self._print(receipt, data, item.id))
            self.store.remove(item.id)
            self._refresh_health()
        return results

    def discard_pending(self, pending_id: str) -> bool:
        """Staff handed the receipt over another way (or it is obsolete)."""
        removed = self.store.remove(pending_id)
        self._refresh_health()
        return removed

    # -- printing ---------------------------------------------------------------------------

    def _print(
        self, receipt: Receipt, data: bytes, pending_id: str | None, keep: bool = True
    ) -> PrintResult:
        if not self._io.acquire(timeout=self.job_timeout_s + self.timeout_s):
            raise DeviceError(
                "busy", "printer busy with another job", state=DeviceState.DEVICE_BUSY
            )
        self._set_busy(True)
        started = time.perf_counter()
        try:
            before = self._checked_status()
            if before.problem:
                raise DeviceError(
                    before.problem,
                    f"not printing: {_MESSAGES[before.problem]}",
                    state=before.device_state,
                )
            try:
                self._gs_r = None
                self.link.write(data + GS_R_PAPER if self.confirm_printed else data)
                confirmed, after = self._await_printed(len(data))
            except LinkLost as exc:
                self._apply(None, str(exc))
                cause, why = "offline", f"connection lost mid-job ({exc})"
            except NoAnswer as exc:
                self.link.close()
                self._apply(None, str(exc))
                cause, why = "offline", "printer stopped answering mid-job"
            except _Stopped as stop:
                cause, why = stop.problem, f"{_MESSAGES[stop.problem]} mid-job"
            except StatusError as exc:
                self.link.close()
                self._apply_garbage(str(exc))
                cause, why = exc.code, str(exc)
            else:
                if confirmed or after.problem is None:
                    self._jobs += 1
                    return PrintResult(
                        len(data), time.perf_counter() - started, confirmed, after.paper,
                        after.raw_hex(), pending_id,
                    )  # fmt: skip
                cause, why = after.problem or "offline", f"{_MESSAGES[after.problem]} after the job"
            kept = self._keep(receipt, cause, pending_id) if keep else None
            log.warning("receipt interrupted: %s; kept as %s", why, kept)
            suffix = f"; kept for reprint as {kept}" if kept else ""
            raise PrintInterrupted(cause, kept, f"receipt interrupted: {why}{suffix}")
        finally:
            self._set_busy(False)
            self._io.release()

    def _await_printed(self, nbytes: int) -> tuple[bool, PrinterStatus]:
        """Wait until the printer has printed the job (GS r answered), watching DLE EOT.

        Returns (confirmed, status after); raises _Stopped, LinkLost or NoAnswer."""
        wire_s = nbytes * 10 / self.link.baudrate if self.link.baudrate else 0.0
        deadline = time.monotonic() + self.job_timeout_s + wire_s
        while True:
            if self.confirm_printed and self._gs_r is None:
                byte = self.link.read_byte(CONFIRM_POLL_S)
                if byte is not None and is_gs_r_byte(byte):
                    self._gs_r = byte
            status = self._query()
            self._apply(status)
            if self._gs_r is not None:
                return True, status
            if status.problem:
                raise _Stopped(status.problem)
            if not self.confirm_printed or time.monotonic() > deadline:
                if self.confirm_printed:
                    log.warning(
                        "printer never acknowledged the end of the job (GS r); assuming printed"
                    )
                return False, status

    def _keep(self, receipt: Receipt, cause: str, pending_id: str | None) -> str:
        if pending_id is not None and self.store.get(pending_id) is not None:
            self.store.count_attempt(pending_id, cause)
            kept = pending_id
        else:
            kept = self.store.add(receipt.as_reprint() if pending_id else receipt, cause)
        self._refresh_health()
        self.emit(EventKind.STATUS_CHANGED, pending=len(self.store), kept=kept, cause=cause)
        return kept

    # -- status -----------------------------------------------------------------------------

    def _checked_status(self) -> PrinterStatus:
        """Connect if needed and query; updates health/events. Caller holds self._io."""
        try:
            if not self.link.is_open:
                self.link.open()
            self.link.drain()
            status = self._query()
        except LinkLost as exc:
            self._apply(None, str(exc))
            raise DeviceError(
                "offline", f"printer not reachable: {exc}", state=DeviceState.NO_DEVICE
            ) from None
        except NoAnswer as exc:
            self.link.close()
            self._apply(None, str(exc))
            raise DeviceError(
                "offline", f"printer not answering: {exc}", state=DeviceState.NO_DEVICE
            ) from None
        except StatusError as exc:
            self.link.close()  # out of step with the printer: start a clean conversation
            self._apply_garbage(str(exc))
            raise
        self._apply(status)
        return status

    def _query(self) -> PrinterStatus:
        raw = {}
        for n in STATUS_KINDS:
            self.link.write(query_bytes(n))
            raw[n] = self._read_status_byte(n)
        return parse_status(raw)

    def _read_status_byte(self, n: int) -> int:
        deadline = time.monotonic() + self.timeout_s
        noise = 0
        while True:
            left = deadline - time.monotonic()
            byte = self.link.read_byte(left) if left > 0 else None
            if byte is None:
                raise NoAnswer(
                    f"no reply to DLE EOT {n} from {self.link.describe} within {self.timeout_s:g} s"
                )
            if is_status_byte(byte):
                return byte
            if is_gs_r_byte(byte):
                self._gs_r = byte  # the end-of-job acknowledgement overtook this reply
                continue
            noise += 1  # XON/XOFF or an ASB byte: not ours
            if noise > 16:
                raise StatusError(f"DLE EOT {n}: only unrelated bytes back (last 0x{byte:02X})")

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            if self._io.acquire(timeout=0.05):
                try:
                    self._checked_status()
                except DeviceError:
                    pass  # already reflected in health and events
                except Exception:
                    log.exception("printer status poll failed")
                finally:
                    self._io.release()
            self._stop.wait(self.poll_interval_s)

    # -- state and events -----------------------------------------------------------------

    def _apply(self, status: PrinterStatus | None, error: str = "") -> None:
        events: list[tuple[EventKind, dict[str, Any]]] = []
        with self._state:
            before = self._health.state
            if status is None:
                if self._reachable is not False:
                    events.append(
                        (EventKind.DEVICE_LOST, {"reason": error, "connection": self.link.describe})
                    )
                self._reachable = False
                self._error = error
            else:
                if self._reachable is False:
                    events.append((EventKind.DEVICE_REGAINED, {"connection": self.link.describe}))
                self._reachable = True
                self._error = ""
                self._status = status
                if status.paper != self._paper:
                    kind = {
                        PaperState.OUT: EventKind.PAPER_OUT,
                        PaperState.LOW: EventKind.PAPER_LOW,
                    }.get(status.paper, EventKind.PAPER_OK)
                    events.append(
                        (kind, {"paper": str(status.paper), "previous": str(self._paper)})
                    )
                    self._paper = status.paper
                if status.cover_open != self._cover_open:
                    kind = EventKind.COVER_OPEN if status.cover_open else EventKind.COVER_CLOSED
                    events.append((kind, {}))
                    self._cover_open = status.cover_open
            self._checked_at = time.time()
            self._health = self._make_health()
            if self._health.state != before:
                events.append(
                    (
                        EventKind.STATUS_CHANGED,
                        {"state": str(self._health.state), "previous": str(before)},
                    )
                )
        for kind, detail in events:
            self.emit(kind, **detail)

    def _apply_garbage(self, error: str) -> None:
        with self._state:
            self._error = error
            self._health = DeviceHealth(
                "printer", DeviceState.HARDWARE_ERROR, error, self._details()
            )

    def _set_busy(self, busy: bool) -> None:
        with self._state:
            self._busy = busy
            self._health = self._make_health()

    def _refresh_health(self) -> None:
        with self._state:
            self._health = self._make_health()

    def _make_health(self) -> DeviceHealth:
        details = self._details()
        if self._reachable is None:
            return DeviceHealth("printer", DeviceState.NO_DEVICE, "not checked yet", details)
        if not self._reachable:
            return DeviceHealth(
                "printer", DeviceState.NO_DEVICE, self._error or "printer not reachable", details
            )
        assert self._status is not None
        state, problem = self._status.device_state, self._status.problem
        message = _MESSAGES[problem]
        if problem is None and self._status.paper is PaperState.LOW:
            message = "paper low"
        if state is DeviceState.ONLINE and self._busy:
            state, message = DeviceState.DEVICE_BUSY, "printing"
        return DeviceHealth("printer", state, message, details)

    def _details(self) -> dict[str, Any]:
        status = self._status if self._reachable else None
        details: dict[str, Any] = {
            "connection": self.link.describe,
            "transport": self.link.kind,
            "paper": str(status.paper if status else PaperState.UNKNOWN),
            "problem": status.problem
            if status
            else ("offline" if self._reachable is False else None),
            "status_bytes": status.raw_hex() if status else {},
            "pending": len(self.store),
            "jobs_printed": self._jobs,
            "last_checked": self._checked_at or None,
            "width_chars": self.width_chars,
        }
        if self._error:
            details["last_error"] = self._error
        if self.emulator is not None:
            details["emulated"] = True
            details["emulator_output"] = (
                str(self.emulator.output_dir) if self.emulator.output_dir else None
            )
        return details


class _Stopped(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
