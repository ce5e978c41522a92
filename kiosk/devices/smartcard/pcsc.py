"""Thin wrapper over pyscard's winscard API (`smartcard.scard`), imported lazily.

We use the low-level API rather than pyscard's CardMonitor so that every call returns a
PC/SC result code we can map to a reason (service gone, card removed, ...), and so that each
thread owns its own context: pcsc-lite serialises calls on one context, and a blocking
SCardGetStatusChange must not hold up a read.
"""

from __future__ import annotations

import contextlib
import functools
from types import ModuleType
from typing import Any

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

# Result codes (pcsc-lite values; fixed by the PC/SC spec) named here so callers need not
# import pyscard to compare them.
S_SUCCESS = 0x0
E_CANCELLED = 0x80100002
E_INVALID_HANDLE = 0x80100003
E_UNKNOWN_READER = 0x80100009
E_TIMEOUT = 0x8010000A
E_SHARING_VIOLATION = 0x8010000B
E_NO_SMARTCARD = 0x8010000C
E_PROTO_MISMATCH = 0x8010000F
E_NOT_TRANSACTED = 0x80100016
E_READER_UNAVAILABLE = 0x80100017
F_COMM_ERROR = 0x80100013
E_NO_SERVICE = 0x8010001D
E_SERVICE_STOPPED = 0x8010001E
E_NO_READERS_AVAILABLE = 0x8010002E
E_COMM_DATA_LOST = 0x8010002F
W_UNRESPONSIVE_CARD = 0x80100066
W_UNPOWERED_CARD = 0x80100067
W_RESET_CARD = 0x80100068
W_REMOVED_CARD = 0x80100069

# F_COMM_ERROR ("RPC transport error") is what libpcsclite returns when pcscd's socket breaks.
SERVICE_GONE = frozenset({E_NO_SERVICE, E_SERVICE_STOPPED, E_INVALID_HANDLE, F_COMM_ERROR})
READER_GONE = frozenset({E_UNKNOWN_READER, E_READER_UNAVAILABLE})
CARD_GONE = frozenset({E_NO_SMARTCARD, W_REMOVED_CARD, W_RESET_CARD})

STATE_CHANGED = 0x2
STATE_UNKNOWN = 0x4
STATE_UNAVAILABLE = 0x8
STATE_EMPTY = 0x10
STATE_PRESENT = 0x20
STATE_MUTE = 0x200


@functools.cache
def _sc() -> ModuleType:
    from smartcard import scard

    return scard


class PcscError(Exception):
    def __init__(self, where: str, code: int) -> None:
        self.where = where
        self.code = code & 0xFFFFFFFF
        super().__init__(f"{where}: {describe(self.code)} ({self.code:#010x})")


def describe(code: int) -> str:
    try:
        return str(_sc().SCardGetErrorMessage(code)).strip()
    except Exception:  # the message is a nicety; the code is what matters
        return "PC/SC error"


def _check(where: str, hresult: int) -> None:
    if hresult & 0xFFFFFFFF != S_SUCCESS:
        raise PcscError(where, hresult)


class Context:
    """One SCARDCONTEXT. Raises PcscError(E_NO_SERVICE) when pcscd is not running."""

    def __init__(self) -> None:
        sc = _sc()
        hresult, self._handle = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
        _check("SCardEstablishContext", hresult)
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            # releasing a context of a dead daemon may fail; nothing to do about it
            with contextlib.suppress(Exception):
                _sc().SCardReleaseContext(self._handle)

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def list_readers(self) -> list[str]:
        hresult, names = _sc().SCardListReaders(self._handle, [])
        if hresult & 0xFFFFFFFF == E_NO_READERS_AVAILABLE:
            return []
        _check("SCardListReaders", hresult)
        return list(names)

    def get_status_change(
        self, timeout_ms: int, states: list[tuple[str, int, bytes]]
    ) -> list[tuple[str, int, bytes]]:
        """Block until a reader state differs from `states` or the timeout (E_TIMEOUT)."""
        arg = [(name, state, list(atr)) if atr else (name, state) for name, state, atr in states]
        hresult, new = _sc().SCardGetStatusChange(self._handle, timeout_ms, arg)
        _check("SCardGetStatusChange", hresult)
        return [(name, int(state), bytes(atr)) for name, state, atr in new]

    def cancel(self) -> None:
        """Wake a blocked get_status_change (callable from another thread)."""
        with contextlib.suppress(Exception):
            _sc().SCardCancel(self._handle)

    def connect(self, reader: str) -> Card:
        sc = _sc()
        hresult, hcard, protocol = sc.SCardConnect(
            self._handle, reader, sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1
        )
        _check("SCardConnect", hresult)
        return Card(hcard, protocol)


class Card:
    """A connected card: raw transmit (no T=0 handling here; see apdu.exchange)."""

    def __init__(self, handle: Any, protocol: int) -> None:
        self._handle = handle
        self.protocol = protocol
        self._closed = False

    @property
    def protocol_name(self) -> str:
        return {1: "T=0", 2: "T=1"}.get(self.protocol, f"{self.protocol:#x}")

    def atr(self) -> bytes:
        hresult, _reader, _state, _protocol, atr = _sc().SCardStatus(self._handle)
        _check("SCardStatus", hresult)
        return bytes(atr)

    def transmit(self, apdu: bytes) -> bytes:
        hresult, reply = _sc().SCardTransmit(self._handle, self.protocol, list(apdu))
        _check("SCardTransmit", hresult)
        return bytes(reply)

    def disconnect(self) -> None:
        """Reset on the way out so no application stays selected for the next caller."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                _sc().SCardDisconnect(self._handle, _sc().SCARD_RESET_CARD)


def list_readers() -> list[str]:
    with Context() as ctx:
        return ctx.list_readers()
