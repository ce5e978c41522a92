"""`IdCardReader`: the resident ID card reader (SAM_A on a serial line) as a kiosk Device.

One background thread opens the port (reconnecting by itself when the reader comes back)
and polls "find card" to report a card placed or left on the reader. `read_card` runs the
find -> select -> read sequence. Every exchange on the wire holds one lock, so polling and
reading never interleave frames.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from kiosk.devices.base import (
    Device,
    DeviceError,
    DeviceHealth,
    DeviceState,
    EventHub,
    EventKind,
    SelfTestResult,
)
from kiosk.devices.idcard import frames as fr
from kiosk.devices.idcard.card import IdCard
from kiosk.devices.idcard.card_text import CardDataError
from kiosk.devices.idcard.commands import (
    BAUD_CODES,
    Command,
    baud_frame,
    decode_ucs2,
    format_sam_id,
    parse_read_payload,
)

if TYPE_CHECKING:
    from kiosk.devices.idcard.emulator import SamEmulator

log = logging.getLogger(__name__)

# SW3 codes that say something about the card in the field (re-place it), as opposed to
# the SAM or the host (call staff).
CARD_CODES = frozenset({0x31, 0x32, 0x33, 0x40, 0x41, 0x81})
READ_TIMEOUT_MIN_S = 0.2


class IdCardReader(Device):
    kind = "idcard"

    def __init__(
        self,
        events: EventHub,
        port: str = "",
        *,
        baudrate: int = 115200,
        poll_interval_s: float = 0.5,
        timeout_s: float = 3.0,
        reconnect_interval_s: float = 1.0,
        read_fingerprints: bool = False,
        read_appended_address: bool = True,
        auto_baud: bool = True,
        removed_after_misses: int = 2,
        gap_timeout_s: float = 0.3,
        probe_timeout_s: float = 0.3,
        emulator: SamEmulator | None = None,
    ) -> None:
        super().__init__(events)
        if baudrate not in BAUD_CODES:
            raise ValueError(f"baudrate must be one of {sorted(BAUD_CODES)}")
        self._port = port
        self.baudrate = baudrate
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s
        self.reconnect_interval_s = reconnect_interval_s
        self.read_fingerprints = read_fingerprints
        self.read_appended_address = read_appended_address
        self.auto_baud = auto_baud
        self.removed_after_misses = max(1, removed_after_misses)
        self.gap_timeout_s = gap_timeout_s  # silence inside a reply that means it was cut
        self.probe_timeout_s = probe_timeout_s
        self.emulator = emulator  # owned: started and stopped with the reader

        self._wire = threading.RLock()  # held for every exchange on the serial line
        self._state_lock = threading.Lock()
        self._serial: Any = None
        self._state = DeviceState.NO_DEVICE
        self._message = "not started"
        self._sam_id: str | None = None
        self._last_sw3: int | None = None
        self._last_error: str | None = None
        self._card_present: bool | None = None
        self._misses = 0
        self._poll_timeouts = 0
        self._was_connected = False
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reads_ok = 0
        self.reads_failed = 0

    # Lifecycle ------------------------------------------------------------------------------
    @property
    def port(self) -> str:
        return self._port

    def set_port(self, port: str) -> None:
        """Point the reader at another port; the background thread reconnects there."""
        with self._wire:
            self._port = port
            if self._serial is not None:
                self._drop(DeviceState.NO_DEVICE, f"moving to {port}")

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        if self.emulator is not None:
            self.emulator.start()
            self._port = self.emulator.port
        self._stop.clear()
        self._set_state(DeviceState.NO_DEVICE, "connecting")
        self._thread = threading.Thread(target=self._run, name="idcard-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._wire:
            self._close()
        self._connected.clear()
        self._set_state(DeviceState.OFFLINE, "stopped")
        if self.emulator is not None:
            self.emulator.stop()

    def wait_ready(self, timeout: float) -> bool:
        """Block until the SAM answers (or timeout): for the CLI and tests, not the UI."""
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def card_present(self) -> bool | None:
        """True/False from the last find, None while unknown (not connected)."""
        return self._card_present

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._serial is None and not self._connect():
                    self._stop.wait(self.reconnect_interval_s)
                    continue
                self._poll()
            except Exception:  # the thread must survive anything a device can do
                log.exception("idcard reader loop failed")
                with self._wire:
                    self._drop(DeviceState.HARDWARE_ERROR, "internal error; reconnecting")
            self._stop.wait(self.poll_interval_s)

    def _connect(self) -> bool:
        import serial

        with self._wire:
            try:
                self._serial = serial.serial_for_url(
                    self._port, baudrate=self.baudrate, timeout=0.02, write_timeout=1.0
                )
            except (serial.SerialException, OSError, ValueError) as exc:
                self._serial = None
                self._set_state(DeviceState.NO_DEVICE, f"{self._port}: {_reason(exc)}")
                return False
            bauds = [self.baudrate]
            if self.auto_baud:
                bauds += [b for b in BAUD_CODES if b != self.baudrate]
            status: fr.Reply | None = None
            for baud in bauds:
                try:
                    if self._serial.baudrate != baud:
                        self._serial.baudrate = baud
                    status = self._transact(Command.SAM_STATUS.frame, self.probe_timeout_s)
                    break
                except fr.FrameError:
                    continue
                except DeviceError:
                    return False  # the port went away while probing
            if status is None:
                self._close()
                self._set_state(DeviceState.OFFLINE, f"{self._port}: the SAM does not answer")
                return False
            self.baudrate = baud
            self._last_sw3 = status.sw3
            try:
                reply = self._transact(Command.SAM_ID.frame, self.probe_timeout_s * 3)
                self._sam_id = format_sam_id(reply.data) if reply.sw3 == fr.OK else None
            except (fr.FrameError, DeviceError):
                self._sam_id = None
            if self._serial is None:
                return False
            if status.sw3 == fr.OK:
                self._set_state(DeviceState.ONLINE, "ready")
            else:
                self._set_state(DeviceState.HARDWARE_ERROR, f"SAM: {status.meaning}")
            self._poll_timeouts = 0
            self._connected.set()
            if self._was_connected:
                self.emit(EventKind.DEVICE_REGAINED, port=self._port)
            self._was_connected = True
            log.info("idcard reader connected on %s at %d baud", self._port, baud)
            return True

    def _close(self) -> None:
        if self._serial is not None:
            with contextlib.suppress(Exception):
                self._serial.close()
        self._serial = None

    def _drop(self, state: DeviceState, message: str) -> None:
        """Forget the connection (caller holds the wire lock); the loop reconnects."""
        was = self._connected.is_set()
        self._close()
        self._connected.clear()
        self._card_present = None
        self._misses = 0
        self._set_state(state, message)
        if was:
            log.warning("idcard reader lost: %s", message)
            self.emit(EventKind.DEVICE_LOST, port=self._port, reason=message)

    def _set_state(self, state: DeviceState, message: str) -> None:
        with self._state_lock:
            changed = state != self._state
            self._state, self._message = state, message
        if changed:
            self.emit(EventKind.STATUS_CHANGED, state=str(state), message=message)

    def _set_present(self, present: bool) -> None:
        previous, self._card_present = self._card_present, present
        if present and previous is not True:
            self.emit(EventKind.CARD_PLACED)
        elif not present and previous is True:
            self.emit(EventKind.CARD_REMOVED)

    # The wire ---------------------------------------------------------------------------------
    def _transact(self, frame: bytes, timeout: float) -> fr.Reply:
        """Send one command, return its reply. Caller holds the wire lock.

        Raises FrameTimeout (nothing came), ShortFrameError (the reply stopped part-way),
        ChecksumError / LengthError (a corrupt reply), DeviceError("no_device") if the
        port itself failed.
        """
        import serial

        ser = self._serial
        if ser is None:
            raise DeviceError(
                "no_device", f"reader not connected: {self._message}", state=self._state
            )
        deadline = time.monotonic() + max(timeout, READ_TIMEOUT_MIN_S)
        deframer = fr.Deframer()
        last_rx = 0.0
        try:
            ser.reset_input_buffer()  # stale bytes from an earlier, abandoned reply
            ser.write(frame)
            while True:
                now = time.monotonic()
                if deframer.in_frame and now - last_rx > self.gap_timeout_s:
                    raise fr.ShortFrameError(f"reply stopped after {deframer.pending} bytes")
                if now >= deadline:
                    if deframer.in_frame:
                        raise fr.ShortFrameError(f"reply stopped after {deframer.pending} bytes")
                    raise fr.FrameTimeout("no reply from the SAM")
                chunk = ser.read(deframer.wanted())
                if not chunk:
                    continue
                deframer.feed(chunk)
                last_rx = time.monotonic()
                reply = deframer.next_frame()
                if reply is not None and not reply.is_command:
                    return fr.Reply.from_frame(reply)
        except (serial.SerialException, OSError) as exc:
            self._drop(DeviceState.NO_DEVICE, f"{self._port}: {_reason(exc)}")
            raise DeviceError(
                "no_device", f"reader disconnected: {_reason(exc)}", state=DeviceState.NO_DEVICE
            ) from None

    def _command(self, command: Command, deadline: float) -> fr.Reply:
        reply = self._transact(command.frame, deadline - time.monotonic())
        self._last_sw3 = reply.sw3
        return reply

    # Polling ---------------------------------------------------------------------------------
    def _poll(self) -> None:
        if not self._wire.acquire(blocking=False):
            return  # a read is on the wire; it reports presence itself
        try:
            if self._serial is None:
                return
            try:
                reply = self._command(Command.FIND, time.monotonic() + self.probe_timeout_s)
            except fr.FrameTimeout:
                self._poll_timeouts += 1
                if self._poll_timeouts >= 3:
                    self._drop(DeviceState.OFFLINE, "the SAM stopped answering")
                return
            except (fr.FrameError, DeviceError):
                return  # a corrupt reply or a lost port: next poll / reconnect deals with it
            self._poll_timeouts = 0
            if reply.sw3 == fr.FIND_OK:
                self._misses = 0
                self._set_present(True)
                self._set_state(DeviceState.ONLINE, "ready")
            elif reply.sw3 == fr.NO_CARD:
                self._misses += 1
                if self._card_present is not True or self._misses >= self.removed_after_misses:
                    self._set_present(False)
                self._set_state(DeviceState.ONLINE, "ready")
            elif reply.sw3 not in CARD_CODES:
                self._set_state(DeviceState.HARDWARE_ERROR, f"SAM: {reply.meaning}")
        finally:
            self._wire.release()

    # Reading ----------------------------------------------------------------------------------
    def read_card(
        self,
        timeout: float | None = None,
        *,
        fingerprints: bool | None = None,
        appended_address: bool | None = None,
    ) -> IdCard:
        """Find, select and read the card on the reader.

        Raises DeviceError with code no_card, card_removed, read_failed, checksum, timeout,
        sam_error, no_device or busy. Takes at most about `timeout` (+ a short probe).
        """
        timeout = self.timeout_s if timeout is None else timeout
        fingerprints = self.read_fingerprints if fingerprints is None else fingerprints
        appended_address = (
            self.read_appended_address if appended_address is None else appended_address
        )
        deadline = time.monotonic() + timeout
        # A poll holds the wire for at most one short find exchange: wait that out too.
        if not self._wire.acquire(timeout=timeout + self.probe_timeout_s + self.gap_timeout_s):
            raise DeviceError("busy", "the reader is busy", state=DeviceState.DEVICE_BUSY)
        try:
            for attempt in (1, 2):
                try:
                    card = self._read_sequence(deadline, fingerprints, appended_address)
                    self.reads_ok += 1
                    self._last_error = None
                    log.info("card read: %r", card)  # IdCard's repr is masked
                    return card
                except (fr.ChecksumError, fr.LengthError) as exc:
                    # Corrupt on the wire: one more full find/select/read if time allows.
                    if attempt == 2 or time.monotonic() >= deadline:
                        raise DeviceError(
                            "checksum", f"corrupt reply from the SAM: {exc}"
                        ) from None
            raise AssertionError("unreachable")
        except DeviceError as exc:
            self.reads_failed += 1
            self._last_error = exc.code
            raise
        finally:
            self._wire.release()

    def _read_sequence(self, deadline: float, fingerprints: bool, address: bool) -> IdCard:
        try:
            reply = self._command(Command.FIND, deadline)
        except (fr.FrameTimeout, fr.ShortFrameError):
            raise DeviceError("timeout", "the SAM did not answer find-card") from None
        if reply.sw3 == fr.NO_CARD:
            self._set_present(False)
            raise DeviceError("no_card", "no card on the reader")
        if reply.sw3 != fr.FIND_OK:
            raise self._sam_error(reply)
        self._set_present(True)

        try:
            reply = self._command(Command.SELECT, deadline)
        except (fr.FrameTimeout, fr.ShortFrameError):
            raise self._after_failure("timeout", "the SAM did not answer select-card") from None
        if reply.sw3 != fr.OK:
            raise self._card_failure(reply)

        command = Command.READ_FINGERPRINTS if fingerprints else Command.READ
        try:
            reply = self._command(command, deadline)
        except fr.ShortFrameError as exc:
            raise self._after_failure("read_failed", f"card reply cut short: {exc}") from None
        except fr.FrameTimeout:
            raise self._after_failure("timeout", "the SAM did not answer read-card") from None
        if reply.sw3 != fr.OK:
            raise self._card_failure(reply)
        try:
            payload = parse_read_payload(reply.data, fingerprints)
            card = IdCard.from_payload(payload)
        except (fr.LengthError, CardDataError) as exc:
            raise DeviceError("read_failed", f"card data not understood: {exc}") from None

        if address:
            card.appended_address = self._read_address(deadline)
        return card

    def _read_address(self, deadline: float) -> str:
        """The appended address, or '' when the card has none. Never fails the read."""
        try:
            reply = self._command(Command.READ_ADDRESS, max(deadline, time.monotonic() + 0.5))
        except fr.FrameError as exc:
            log.info("appended address not read: %s", exc)
            return ""
        if reply.sw3 != fr.OK:
            return ""  # 91: no appended address; older SAMs may refuse the command
        return decode_ucs2(reply.data)

    def _card_failure(self, reply: fr.Reply) -> DeviceError:
        if reply.sw3 in CARD_CODES:
            return self._after_failure("read_failed", f"card read failed: {reply.meaning}")
        return self._sam_error(reply)

    def _after_failure(self, code: str, message: str) -> DeviceError:
        """A read went wrong: ask the SAM whether the card is still there."""
        try:
            probe = self._command(Command.FIND, time.monotonic() + self.probe_timeout_s)
        except (fr.FrameError, DeviceError):
            return DeviceError(code, message)
        if probe.sw3 == fr.NO_CARD:
            self._misses = self.removed_after_misses
            self._set_present(False)
            return DeviceError("card_removed", "the card was taken away during the read")
        return DeviceError(code, message)

    def _sam_error(self, reply: fr.Reply) -> DeviceError:
        return DeviceError(
            "sam_error",
            f"SAM status 0x{reply.sw3:02X}: {reply.meaning}",
            state=DeviceState.HARDWARE_ERROR,
        )

    # Technician operations -------------------------------------------------------------------
    def set_baudrate(self, baudrate: int, timeout: float | None = None) -> None:
        """Tell the SAM to switch speed (60 0x), then switch the port and check it answers."""
        if baudrate not in BAUD_CODES:
            raise DeviceError("bad_baudrate", f"the SAM supports {sorted(BAUD_CODES)} baud")
        timeout = self.timeout_s if timeout is None else timeout
        if not self._wire.acquire(timeout=timeout):
            raise DeviceError("busy", "the reader is busy", state=DeviceState.DEVICE_BUSY)
        try:
            try:
                reply = self._transact(baud_frame(baudrate), timeout)
            except (fr.FrameTimeout, fr.ShortFrameError) as exc:
                raise DeviceError("timeout", f"baud change not acknowledged: {exc}") from None
            except fr.FrameError as exc:
                raise DeviceError("checksum", f"corrupt answer to the baud change: {exc}") from None
            if reply.sw3 != fr.OK:
                raise self._sam_error(reply)
            self._serial.baudrate = baudrate
            self.baudrate = baudrate
            try:
                self._transact(Command.SAM_STATUS.frame, timeout)
            except fr.FrameError as exc:
                raise DeviceError("timeout", f"no answer at {baudrate} baud: {exc}") from None
            log.info("idcard reader now at %d baud", baudrate)
        finally:
            self._wire.release()

    def health(self) -> DeviceHealth:
        with self._state_lock:
            state, message = self._state, self._message
        details: dict[str, Any] = {
            "port": self._port,
            "mode": "emulated" if self.emulator is not None else "serial",
            "baudrate": self.baudrate,
            "sam_id": self._sam_id,
            "last_sw3": None if self._last_sw3 is None else f"{self._last_sw3:02X}",
            "last_status": None if self._last_sw3 is None else fr.describe_sw3(self._last_sw3),
            "card_present": self._card_present,
            "reads_ok": self.reads_ok,
            "reads_failed": self.reads_failed,
            "last_error": self._last_error,
        }
        return DeviceHealth(self.kind, state, message, details)

    def self_test(self) -> SelfTestResult:
        if not self.connected:
            return SelfTestResult(
                self.kind, False, f"not connected: {self._message}", {"port": self._port}
            )
        if not self._wire.acquire(timeout=self.timeout_s):
            return SelfTestResult(self.kind, False, "reader busy", {"port": self._port})
        try:
            deadline = time.monotonic() + self.timeout_s
            status = self._command(Command.SAM_STATUS, deadline)
            ident = self._command(Command.SAM_ID, deadline)
            if ident.sw3 == fr.OK:
                self._sam_id = format_sam_id(ident.data)
        except (fr.FrameError, DeviceError) as exc:
            return SelfTestResult(
                self.kind, False, f"SAM did not answer: {exc}", {"port": self._port}
            )
        finally:
            self._wire.release()
        passed = status.sw3 == fr.OK and ident.sw3 == fr.OK
        details = {
            "port": self._port,
            "baudrate": self.baudrate,
            "sam_status": fr.sw3_json(status),
            "sam_id": self._sam_id,
        }
        message = f"SAM OK, id {self._sam_id}" if passed else f"SAM: {status.meaning}"
        return SelfTestResult(self.kind, passed, message, details)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text
