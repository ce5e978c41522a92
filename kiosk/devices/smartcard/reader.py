"""`SmartCardReader`: the social security / bank card reader adapter on PC/SC (pyscard).

A monitor thread owns one PC/SC context and blocks in SCardGetStatusChange on the chosen
reader plus the PnP pseudo-reader, emitting CARD_PLACED / CARD_REMOVED and DEVICE_LOST /
DEVICE_REGAINED; when pcscd goes away it re-establishes a context by itself. Each read
opens its own short-lived context (pcsc-lite serialises calls per context), so a read never
waits behind the monitor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kiosk.devices.base import (
    Device,
    DeviceError,
    DeviceHealth,
    DeviceState,
    EventHub,
    EventKind,
    SelfTestResult,
)
from kiosk.devices.smartcard import apdu, pcsc
from kiosk.devices.smartcard.emv import BankCard, read_bank_card
from kiosk.devices.smartcard.ssc import SocialSecurityCard, read_social_security

log = logging.getLogger(__name__)

T = TypeVar("T")
Transmit = Callable[[bytes], bytes]

# Error codes (DeviceError.code) this adapter raises.
NO_READER = "no_reader"
NO_CARD = "no_card"
CARD_REMOVED = "card_removed"
UNSUPPORTED_CARD = "unsupported_card"
READ_FAILED = "read_failed"
PCSC_UNAVAILABLE = "pcsc_unavailable"
BUSY = "busy"

_STATE_FOR = {
    NO_READER: DeviceState.NO_DEVICE,
    PCSC_UNAVAILABLE: DeviceState.OFFLINE,
    BUSY: DeviceState.DEVICE_BUSY,
    NO_CARD: DeviceState.USER_ERROR,
    CARD_REMOVED: DeviceState.USER_ERROR,
    UNSUPPORTED_CARD: DeviceState.USER_ERROR,
    READ_FAILED: DeviceState.HARDWARE_ERROR,
}


def _error(code: str, message: str) -> DeviceError:
    return DeviceError(code, message, state=_STATE_FOR.get(code))


class SmartCardReader(Device):
    """Contact card reader behind pcscd.

    `reader` is a substring of the PC/SC reader name ("" takes the first reader).
    With `start_pcscd`, a pcscd that is not running is started (root only); `stop()`
    stops it again unless another kiosk process still uses it (see pcscd.PcscdHandle).
    """

    kind = "smartcard"

    def __init__(
        self,
        events: EventHub,
        *,
        reader: str = "",
        start_pcscd: bool = False,
        pcscd_log: Path | None = None,
        read_timeout_s: float = 10.0,
        poll_ms: int = 1000,
        retry_s: float = 1.0,
    ) -> None:
        super().__init__(events)
        self.reader_filter = reader
        self.start_pcscd = start_pcscd
        self.pcscd_log = pcscd_log
        self.read_timeout_s = read_timeout_s
        self.poll_ms = poll_ms
        self.retry_s = retry_s
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._ctx: pcsc.Context | None = None
        self._pcscd: Any = None  # PcscdHandle: our use of pcscd (start_pcscd only)
        self._read_lock = threading.Lock()
        self._pcscd_problem = ""  # why we could not start pcscd, shown in health()
        # Cached status, guarded by _cond.
        self._online: bool | None = None
        self._state = DeviceState.NO_DEVICE
        self._code = ""
        self._message = "starting"
        self._reader: str | None = None
        self._readers: list[str] = []
        self._card_present: bool | None = None
        self._card_events = -1
        self._atr = b""

    # --- Device contract ------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="smartcard-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        ctx = self._ctx
        if ctx is not None:
            ctx.cancel()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._pcscd is not None:
            self._pcscd.stop()
            self._pcscd = None

    def health(self) -> DeviceHealth:
        with self._cond:
            details: dict[str, Any] = {
                "reader": self._reader,
                "readers": list(self._readers),
                "reader_filter": self.reader_filter,
                "card_present": bool(self._card_present),
                "atr": self._atr.hex().upper() if self._card_present else "",
            }
            if self._code:
                details["code"] = self._code
            if self._pcscd is not None and self._pcscd.owned:
                details["pcscd_pid"] = self._pcscd.pid
            return DeviceHealth(self.kind, self._state, self._message, details)

    def self_test(self) -> SelfTestResult:
        try:
            with self._context() as ctx:
                names = self._list(ctx)
                reader = self._pick(names)
                details: dict[str, Any] = {"readers": names, "reader": reader}
                if reader is None:
                    raise _error(NO_READER, self._no_reader_message(names))
                (_, state, atr), *_ = ctx.get_status_change(0, [(reader, 0, b"")])
                details["card_present"] = bool(state & pcsc.STATE_PRESENT)
                details["atr"] = atr.hex().upper()
        except DeviceError as exc:
            return SelfTestResult(self.kind, False, str(exc), {"code": exc.code})
        except pcsc.PcscError as exc:
            return SelfTestResult(self.kind, False, str(exc), {"code": READ_FAILED})
        return SelfTestResult(self.kind, True, f"reader {reader!r} answers", details)

    # --- public API -------------------------------------------------------------------------

    @property
    def card_present(self) -> bool:
        with self._cond:
            return bool(self._card_present)

    @property
    def reader_name(self) -> str | None:
        with self._cond:
            return self._reader

    def readers(self) -> list[str]:
        """All PC/SC readers, live (not cached). Raises DeviceError(pcsc_unavailable)."""
        with self._context() as ctx:
            return self._list(ctx)

    def wait_for_card(self, present: bool = True, timeout: float = 5.0) -> bool:
        """Block until the monitor has seen a card placed (or removed); False on timeout."""
        with self._cond:
            self._cond.wait_for(
                lambda: bool(self._card_present) == present or self._stopping.is_set(), timeout
            )
            return bool(self._card_present) == present

    def wait_settled(self, timeout: float = 12.0) -> bool:
        """Block until the monitor has first found the reader or a reason it cannot."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._online is not None or self._stopping.is_set(), timeout
            )

    def wait_online(self, online: bool = True, timeout: float = 10.0) -> bool:
        with self._cond:
            self._cond.wait_for(
                lambda: bool(self._online) == online or self._stopping.is_set(), timeout
            )
            return bool(self._online) == online

    def read_social_security(self) -> SocialSecurityCard:
        """Card number, name, ID number... Raises DeviceError: no_reader, no_card,
        card_removed, unsupported_card, read_failed, pcsc_unavailable, busy."""
        return self._with_card(read_social_security)

    def read_bank_card(self) -> BankCard:
        """PAN (use `.masked_pan` for display) and expiry. Same errors as above."""
        return self._with_card(read_bank_card)

    # --- reads ------------------------------------------------------------------------------

    def _with_card(self, read: Callable[[Transmit, bytes], T]) -> T:
        if not self._read_lock.acquire(timeout=self.read_timeout_s):
            raise _error(BUSY, "another card read is still running")
        try:
            return _with_deadline(lambda: self._read_once(read), self.read_timeout_s)
        finally:
            self._read_lock.release()

    def _read_once(self, read: Callable[[Transmit, bytes], T]) -> T:
        with self._context() as ctx:
            names = self._list(ctx)
            reader = self._pick(names)
            if reader is None:
                raise _error(NO_READER, self._no_reader_message(names))
            try:
                card = ctx.connect(reader)
            except pcsc.PcscError as exc:
                raise self._connect_error(exc) from None
            try:
                atr = card.atr()

                def transmit(command: bytes) -> bytes:
                    try:
                        reply = card.transmit(command)
                    except pcsc.PcscError as exc:
                        raise self._transmit_error(ctx, reader, exc) from None
                    if len(reply) < 2:  # vpcd answers "nothing" when the card link drops
                        raise self._transmit_error(
                            ctx, reader, pcsc.PcscError("SCardTransmit", pcsc.E_NOT_TRANSACTED)
                        )
                    return reply

                return read(transmit, atr)
            except (apdu.ApduError, apdu.TlvError) as exc:
                raise _error(READ_FAILED, f"card answer is malformed: {exc}") from None
            except pcsc.PcscError as exc:  # SCardStatus after a pull
                raise self._transmit_error(ctx, reader, exc) from None
            finally:
                card.disconnect()

    def _connect_error(self, exc: pcsc.PcscError) -> DeviceError:
        if exc.code in pcsc.CARD_GONE:
            return _error(NO_CARD, "no card in the reader")
        if exc.code in pcsc.SERVICE_GONE:
            return _error(PCSC_UNAVAILABLE, "PC/SC service (pcscd) stopped")
        if exc.code in pcsc.READER_GONE:
            return _error(NO_READER, "the card reader went away")
        if exc.code == pcsc.E_SHARING_VIOLATION:
            return _error(BUSY, "another program holds the card")
        if exc.code in (pcsc.W_UNRESPONSIVE_CARD, pcsc.W_UNPOWERED_CARD):
            return _error(READ_FAILED, "the card does not answer (inserted the wrong way round?)")
        return _error(READ_FAILED, f"cannot connect to the card: {exc}")

    def _transmit_error(self, ctx: pcsc.Context, reader: str, exc: pcsc.PcscError) -> DeviceError:
        if exc.code in pcsc.SERVICE_GONE:
            return _error(PCSC_UNAVAILABLE, "PC/SC service (pcscd) stopped during the read")
        if exc.code in pcsc.CARD_GONE:
            return _error(CARD_REMOVED, "the card was removed during the read")
        try:
            gone = self._card_gone(ctx, reader)
        except pcsc.PcscError as status_exc:
            if status_exc.code in pcsc.SERVICE_GONE:
                return _error(PCSC_UNAVAILABLE, "PC/SC service (pcscd) stopped during the read")
            gone = status_exc.code in pcsc.READER_GONE
        if gone:
            return _error(CARD_REMOVED, "the card was removed during the read")
        return _error(READ_FAILED, f"card communication failed: {exc}")

    @staticmethod
    def _card_gone(ctx: pcsc.Context, reader: str, settle_ms: int = 1500) -> bool:
        """After a broken exchange, give the reader time to notice a pulled card."""
        (_, state, atr), *_ = ctx.get_status_change(0, [(reader, 0, b"")])
        if not state & pcsc.STATE_PRESENT:
            return True
        current = state & ~pcsc.STATE_CHANGED
        try:
            (_, state, _), *_ = ctx.get_status_change(settle_ms, [(reader, current, atr)])
        except pcsc.PcscError as exc:
            if exc.code == pcsc.E_TIMEOUT:
                return False  # still there: the card itself failed
            raise
        return not state & pcsc.STATE_PRESENT

    # --- helpers ----------------------------------------------------------------------------

    def _context(self) -> pcsc.Context:
        try:
            return pcsc.Context()
        except pcsc.PcscError as exc:
            raise _error(PCSC_UNAVAILABLE, f"PC/SC service (pcscd) is not running: {exc}") from None
        except ImportError as exc:
            raise _error(PCSC_UNAVAILABLE, f"pyscard is not installed: {exc}") from None

    def _list(self, ctx: pcsc.Context) -> list[str]:
        try:
            return ctx.list_readers()
        except pcsc.PcscError as exc:
            raise _error(PCSC_UNAVAILABLE, f"cannot list readers: {exc}") from None

    def _pick(self, names: list[str]) -> str | None:
        return next((n for n in names if self.reader_filter in n), None)

    def _no_reader_message(self, names: list[str]) -> str:
        if not names:
            return "no card reader is connected"
        return f"no reader matching {self.reader_filter!r} (found: {', '.join(names)})"

    # --- monitor thread ---------------------------------------------------------------------

    def _run(self) -> None:
        last_pcscd_try = float("-inf")
        while not self._stopping.is_set():
            if self.start_pcscd and time.monotonic() - last_pcscd_try > 5 * self.retry_s:
                last_pcscd_try = time.monotonic()
                self._ensure_pcscd()
            try:
                ctx = pcsc.Context()
            except Exception as exc:  # PcscError, or pyscard missing
                why = self._pcscd_problem or f"PC/SC service is not running ({exc})"
                self._set_status(False, PCSC_UNAVAILABLE, why)
                self._stopping.wait(self.retry_s)
                continue
            self._ctx = ctx
            try:
                self._watch(ctx)
            except pcsc.PcscError as exc:
                log.info("PC/SC context lost: %s", exc)
                self._set_status(False, PCSC_UNAVAILABLE, f"PC/SC service went away ({exc})")
                self._stopping.wait(self.retry_s / 4)
            except Exception:  # never let the monitor die; report and start over
                log.exception("smartcard monitor failed")
                self._set_status(False, READ_FAILED, "reader monitor failed; retrying")
                self._stopping.wait(self.retry_s)
            finally:
                self._ctx = None
                ctx.release()

    def _ensure_pcscd(self) -> None:
        """Hold a use of pcscd (see pcscd.PcscdHandle); start it when none runs."""
        from kiosk.devices.smartcard.pcscd import PcscdError, ensure_pcscd, pcscd_running

        if self._pcscd is not None:
            if pcscd_running():
                return
            self._pcscd.stop()  # it died under us: let go and start afresh
            self._pcscd = None
        try:
            handle = ensure_pcscd(None, timeout=10, log_path=self.pcscd_log)
        except (PcscdError, OSError) as exc:
            self._pcscd_problem = str(exc)
            self._set_status(False, PCSC_UNAVAILABLE, str(exc))
            return
        self._pcscd_problem = ""
        if self._stopping.is_set():
            handle.stop()
        else:
            self._pcscd = handle

    def _watch(self, ctx: pcsc.Context) -> None:
        """Follow the reader until the context breaks (raises PcscError) or we stop."""
        while not self._stopping.is_set():
            names = ctx.list_readers()
            reader = self._pick(names)
            if reader is None:
                self._set_status(False, NO_READER, self._no_reader_message(names), names=names)
                self._wait_for_readers(ctx, len(names))
                continue
            self._set_status(True, "", f"reader {reader} ready", reader=reader, names=names)
            self._watch_reader(ctx, reader, len(names))

    def _wait_for_readers(self, ctx: pcsc.Context, count: int) -> None:
        try:
            ctx.get_status_change(self.poll_ms, [(pcsc.PNP_NOTIFICATION, count << 16, b"")])
        except pcsc.PcscError as exc:
            if exc.code in pcsc.SERVICE_GONE:
                raise
            if exc.code != pcsc.E_TIMEOUT:  # no PnP support: fall back to polling
                self._stopping.wait(self.poll_ms / 1000)

    def _watch_reader(self, ctx: pcsc.Context, reader: str, count: int) -> None:
        states: list[tuple[str, int, bytes]] = [
            (reader, 0, b""),
            (pcsc.PNP_NOTIFICATION, count << 16, b""),
        ]
        while not self._stopping.is_set():
            try:
                new = ctx.get_status_change(self.poll_ms, states)
            except pcsc.PcscError as exc:
                if exc.code == pcsc.E_TIMEOUT:
                    continue
                if exc.code == pcsc.E_CANCELLED:
                    return
                if exc.code in pcsc.READER_GONE:
                    self._card_seen(False)
                    return
                raise
            _, state, atr = new[0]
            if state & (pcsc.STATE_UNKNOWN | pcsc.STATE_UNAVAILABLE):
                self._card_seen(False)
                return  # reader unplugged: list again
            self._card_seen(bool(state & pcsc.STATE_PRESENT), atr, state >> 16)
            if len(new) > 1:
                _, pnp, _ = new[1]
                if pnp & pcsc.STATE_UNKNOWN:  # no PnP notifications: watch the reader only
                    states = states[:1]
                elif pnp & pcsc.STATE_CHANGED:
                    names = ctx.list_readers()
                    if reader not in names:
                        self._card_seen(False)
                        return
                    self._set_status(True, "", f"reader {reader} ready", reader=reader, names=names)
            states = [(name, st & ~pcsc.STATE_CHANGED, a) for name, st, a in new[: len(states)]]

    # --- status bookkeeping and events ------------------------------------------------------

    def _set_status(
        self,
        online: bool,
        code: str,
        message: str,
        *,
        reader: str | None = None,
        names: list[str] | None = None,
    ) -> None:
        events: list[tuple[EventKind, dict[str, Any]]] = []
        with self._cond:
            previous = self._online
            self._online = online
            self._code = code
            self._message = message
            self._state = (
                DeviceState.ONLINE if online else _STATE_FOR.get(code, DeviceState.OFFLINE)
            )
            self._reader = reader if online else None
            if names is not None or not online:
                self._readers = list(names or [])
            if not online and self._card_present:
                events.append((EventKind.CARD_REMOVED, {"reader": None, "reason": code}))
            if not online:
                self._card_present = None
                self._atr = b""
            self._cond.notify_all()
        if previous is not False and not online:
            events.append((EventKind.DEVICE_LOST, {"code": code, "message": message}))
        elif previous is False and online:
            events.append((EventKind.DEVICE_REGAINED, {"reader": reader}))
        for kind, detail in events:
            log.info("smartcard %s %s", kind, detail.get("code", ""))
            self.emit(kind, **detail)

    def _card_seen(self, present: bool, atr: bytes = b"", counter: int = -1) -> None:
        events: list[tuple[EventKind, dict[str, Any]]] = []
        with self._cond:
            before, reader = bool(self._card_present), self._reader
            swapped = before and present and counter != self._card_events and counter >= 0
            if before and (not present or swapped):
                events.append((EventKind.CARD_REMOVED, {"reader": reader}))
            if present and (not before or swapped):
                events.append((EventKind.CARD_PLACED, {"reader": reader, "atr": atr.hex().upper()}))
            self._card_present = present
            self._card_events = counter
            self._atr = atr if present else b""
            self._cond.notify_all()
        for kind, detail in events:
            self.emit(kind, **detail)


def _with_deadline(fn: Callable[[], T], timeout: float) -> T:
    """Run a blocking PC/SC dialogue with an upper bound: a card or driver that stops
    answering must not freeze the caller (SCardTransmit has no timeout of its own)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, name="smartcard-read", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise _error(READ_FAILED, f"the card did not answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["result"]
