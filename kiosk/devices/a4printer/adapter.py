"""The A4 printer adapter over CUPS: submit a PDF, follow the job to completed (pycups),
read printer state, paper, toner and door in XFS4IoT words (IPP directly: see ipp.py).

Blocking calls (pycups talks HTTP to cupsd) run in the caller's thread worker; a background
thread polls the printer so `health()` never blocks. Each call opens its own connection:
pycups connections are not safe to share between threads.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.devices.a4printer.ipp import IppError, get_printer_attributes
from kiosk.devices.a4printer.status import (
    JOB_ATTRIBUTES,
    STATUS_ATTRIBUTES,
    A4Status,
    status_from_ipp,
)
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

if TYPE_CHECKING:
    from kiosk.devices.a4printer.cupsd import PrivateCupsd

log = logging.getLogger(__name__)
_SERVER_LOCK = threading.Lock()

# IPP job-state values (RFC 8011 5.3.7)
JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED = 3, 4, 5, 6
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9
_JOB_WORDS = {3: "pending", 4: "held", 5: "processing", 6: "stopped", 7: "canceled",
              8: "aborted", 9: "completed"}  # fmt: skip
_MESSAGES = {
    None: "ready",
    "door_open": "printer door open",
    "paper_out": "A4 paper out",
    "paper_jammed": "paper jammed",
    "toner_out": "toner out",
    "stopped": "printer stopped",
    "not_accepting": "printer not accepting jobs",
}


@dataclass(frozen=True)
class JobResult:
    job_id: int
    state: str  # completed, canceled, aborted, or the last state seen at a timeout
    reasons: tuple[str, ...]
    printer_problem: str | None  # why the printer held it, e.g. paper_out

    @property
    def completed(self) -> bool:
        return self.state == "completed"


class A4Printer(Device):
    kind = "a4printer"

    def __init__(
        self,
        events: EventHub,
        host: str,
        port: int,
        queue: str,
        *,
        poll_interval_s: float = 2.0,
        job_timeout_s: float = 120.0,
        emulator: PrivateCupsd | None = None,
    ) -> None:
        super().__init__(events)
        self.host, self.port, self.queue = host, port, queue
        self.poll_interval_s = poll_interval_s
        self.job_timeout_s = job_timeout_s
        self.emulator = emulator
        self._status: A4Status | None = None
        self._error = "not checked yet"
        self._jobs = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- Device ---------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="a4printer-poll", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.emulator is not None:
            self.emulator.stop()

    def health(self) -> DeviceHealth:
        with self._lock:
            status, error = self._status, self._error
        details: dict[str, Any] = {"connection": f"ipp://{self.host}:{self.port}/printers/{self.queue}",
                                   "jobs_printed": self._jobs}  # fmt: skip
        if status is None:
            details.update({"paper": str(PaperState.UNKNOWN), "toner": "unknown"})
            return DeviceHealth(self.kind, DeviceState.NO_DEVICE, error, details)
        details.update(status.details())
        # The message carries the supplies: it is what the heartbeat and the console show.
        toner = status.toner + (f" {status.toner_percent}%" if status.toner_percent is not None
                                and status.toner_percent >= 0 else "")  # fmt: skip
        head = _MESSAGES.get(status.problem, status.problem or "ready")
        message = f"{head}; paper {status.paper}, toner {toner}, door {status.door}"
        return DeviceHealth(self.kind, status.device_state, message, details)

    def self_test(self) -> SelfTestResult:
        started = time.perf_counter()
        try:
            status = self.status()
        except DeviceError as exc:
            return SelfTestResult(self.kind, False, str(exc), {"code": exc.code})
        details = {"round_trip_ms": round((time.perf_counter() - started) * 1000, 1),
                   **status.details()}  # fmt: skip
        return SelfTestResult(self.kind, status.problem is None,
                              _MESSAGES.get(status.problem, "ready"), details)  # fmt: skip

    # -- public ---------------------------------------------------------------------------

    def status(self) -> A4Status:
        """A live IPP Get-Printer-Attributes; DeviceError("offline") when CUPS is away."""
        try:
            attributes = get_printer_attributes(self.host, self.port, self.queue,
                                                STATUS_ATTRIBUTES)  # fmt: skip
        except (IppError, OSError, http.client.HTTPException) as exc:
            self._set(None, f"CUPS not answering: {exc}")
            raise DeviceError("offline", f"A4 printer not reachable: {exc}",
                              state=DeviceState.NO_DEVICE) from None  # fmt: skip
        status = status_from_ipp(attributes)
        self._set(status, "")
        return status

    def submit(self, pdf: bytes, title: str, *, copies: int = 1) -> int:
        """Queue a PDF as one job on A4; returns the CUPS job id. Refuses at once (with
        DeviceError) when the printer cannot print now, so the caller can fall back."""
        import cups

        status = self.status()
        if status.problem is not None:
            raise DeviceError(status.problem, _MESSAGES.get(status.problem, status.problem),
                              state=status.device_state)  # fmt: skip
        with tempfile.NamedTemporaryFile(prefix="kiosk-a4-", suffix=".pdf") as tmp:
            tmp.write(pdf)
            tmp.flush()
            try:
                job = self._connect().printFile(self.queue, tmp.name, title, {
                    "media": "iso_a4_210x297mm", "copies": str(copies),
                    "document-format": "application/pdf"})  # fmt: skip
            except (cups.IPPError, RuntimeError) as exc:
                raise DeviceError(
                    "offline", f"job refused: {exc}", state=DeviceState.OFFLINE
                ) from None
        log.info("A4 job %d queued (%d bytes)", job, len(pdf))
        return int(job)

    def wait(self, job_id: int, timeout: float | None = None) -> JobResult:
        """Follow a job to an end state (completed, canceled, aborted) or the timeout."""
        import cups

        deadline = time.monotonic() + (self.job_timeout_s if timeout is None else timeout)
        state, reasons = "pending", ()
        while True:
            try:
                attributes = self._connect().getJobAttributes(
                    job_id, requested_attributes=JOB_ATTRIBUTES
                )
            except (cups.IPPError, RuntimeError) as exc:
                raise DeviceError("offline", f"cannot follow job {job_id}: {exc}") from None
            state = _JOB_WORDS.get(int(attributes.get("job-state", 0)), "unknown")
            raw = attributes.get("job-state-reasons") or []
            reasons = tuple([raw] if isinstance(raw, str) else raw)
            # A job CUPS stopped (its filters failed on the document) never goes on by itself.
            if state in ("completed", "canceled", "aborted", "stopped"):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        problem = None
        try:
            problem = self.status().problem
        except DeviceError:
            problem = "offline"
        if state == "completed":
            self._jobs += 1
        return JobResult(job_id, state, reasons, problem)

    def cancel(self, job_id: int) -> None:
        import cups

        try:
            self._connect().cancelJob(job_id)
        except (cups.IPPError, RuntimeError) as exc:
            log.warning("cancel of A4 job %d failed: %s", job_id, exc)

    def print_pdf(self, pdf: bytes, title: str, timeout: float | None = None) -> JobResult:
        """Submit and follow to the end; a job stopped, or still held at the timeout, is
        cancelled (the resident is told, and gets the receipt-printer summary instead)."""
        job = self.submit(pdf, title)
        result = self.wait(job, timeout)
        if result.state not in ("completed", "canceled", "aborted"):
            self.cancel(job)
        return result

    # -- internals ------------------------------------------------------------------------

    def _connect(self) -> Any:
        import cups

        # libcups looks the queue up on the *global* server when printing (cupsPrintFile2 ->
        # cupsGetDest), whatever the connection says: set it, under a lock, every time.
        with _SERVER_LOCK:
            cups.setServer(self.host)
            cups.setPort(self.port)
            return cups.Connection(host=self.host, port=self.port)

    def _set(self, status: A4Status | None, error: str) -> None:
        with self._lock:
            before = self._status
            self._status, self._error = status, error or self._error
        if before is not None and status is not None and before.paper != status.paper:
            kind = {PaperState.OUT: EventKind.PAPER_OUT, PaperState.LOW: EventKind.PAPER_LOW}
            self.emit(kind.get(status.paper, EventKind.PAPER_OK), paper=str(status.paper))
        if (before is None) != (status is None):
            self.emit(EventKind.DEVICE_LOST if status is None else EventKind.DEVICE_REGAINED)

    def _poll(self) -> None:
        if self.emulator is not None and not self.emulator.running:
            try:
                self.emulator.start()
                self.port = self.emulator.port
            except Exception as exc:  # the adapter reports noDevice with the reason
                log.warning("A4 printer emulator did not start: %s", exc)
                with self._lock:
                    self._error = str(exc)
                return
        while not self._stop.is_set():
            with contextlib.suppress(DeviceError):  # status() recorded why
                self.status()
            self._stop.wait(self.poll_interval_s)
