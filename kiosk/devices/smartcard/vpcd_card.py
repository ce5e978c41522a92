"""A virtual card that plugs into pcscd's vpcd driver over TCP (vsmartcard's vpcd protocol).

vpcd listens (127.0.0.1:35963 for slot 0, 35964 for slot 1); the card connects. Every
message is a big-endian uint16 length plus payload. One-byte payloads from vpcd are control
codes (00 power off, 01 power on, 02 reset, 04 get ATR -> reply with the ATR); anything else
is a C-APDU answered with an R-APDU. Inserting the card = connecting; removing = closing.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time

from kiosk.devices.smartcard.cards import CardApplication

log = logging.getLogger(__name__)

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963  # slot 0; slot n listens on VPCD_PORT + n

CTRL_POWER_OFF, CTRL_POWER_ON, CTRL_RESET, CTRL_GET_ATR = 0x00, 0x01, 0x02, 0x04

# pcscd polls card presence every 400 ms. A card put back sooner than that after a removal
# would look to pcscd like the same card never left (no human is that fast; a test is), so
# insert() waits this long after the last removal from the same slot.
REINSERT_GAP_S = 0.6
_last_removed: dict[tuple[str, int], float] = {}


def vpcd_reader_name(port: int = VPCD_PORT) -> str:
    """The PC/SC name pcscd gives the vpcd slot behind `port` (Debian's reader.conf)."""
    return f"Virtual PCD 00 {port - VPCD_PORT:02d}"


class _Closed(Exception):
    pass


class VirtualCardSlot:
    """One vpcd slot with at most one virtual card in it.

    `insert(card)` connects and serves the card on a thread; `remove()` pulls it.
    `insert(card, pull_after=n)` answers n C-APDUs and then pulls the card as the next
    one arrives, as a resident yanking the card mid-read would. If pcscd goes away while a
    card is in, the card waits and reconnects when vpcd listens again (the card is still
    physically in the reader).
    """

    def __init__(
        self, host: str = VPCD_HOST, port: int = VPCD_PORT, connect_timeout: float = 3.0
    ) -> None:
        self.host, self.port, self.connect_timeout = host, port, connect_timeout
        self._lock = threading.Lock()
        self._card: CardApplication | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()  # one per insertion, so a late thread never revives
        self.apdu_count = 0
        self.connected = threading.Event()

    @property
    def reader_name(self) -> str:
        return vpcd_reader_name(self.port)

    @property
    def card(self) -> CardApplication | None:
        return self._card

    @property
    def inserted(self) -> bool:
        return self._card is not None

    def insert(self, card: CardApplication, *, pull_after: int | None = None) -> None:
        """Put `card` in the slot. Raises ConnectionError if vpcd is not listening."""
        self.remove()
        gap = _last_removed.get((self.host, self.port), 0.0) + REINSERT_GAP_S - time.monotonic()
        if gap > 0:
            time.sleep(gap)
        sock = self._connect()
        with self._lock:
            self._card, self._sock = card, sock
            self._stop = stop = threading.Event()
            self.apdu_count = 0
            self.connected.set()
            self._thread = threading.Thread(
                target=self._serve,
                args=(card, sock, pull_after, stop),
                name="vpcd-card",
                daemon=True,
            )
            self._thread.start()

    def remove(self, timeout: float = 3.0) -> None:
        with self._lock:
            thread, sock = self._thread, self._sock
            self._stop.set()
            self._card = self._sock = self._thread = None
        if sock is not None:
            _close(sock)
            _last_removed[(self.host, self.port)] = time.monotonic()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self.connected.clear()

    close = remove

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            raise ConnectionError(
                f"vpcd is not listening on {self.host}:{self.port} ({exc.strerror or exc}); "
                "is pcscd running with the vsmartcard-vpcd driver?"
            ) from None
        sock.settimeout(None)  # vpcd polls every few hundred ms; idle is normal
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _serve(
        self,
        card: CardApplication,
        sock: socket.socket,
        pull_after: int | None,
        stop: threading.Event,
    ) -> None:
        while not stop.is_set():
            try:
                self._dialogue(card, sock, pull_after, stop)
                return  # pulled on purpose
            except (_Closed, OSError):
                pass
            if stop.is_set():
                return
            # vpcd went away (pcscd stopped): the card stays in; wait for vpcd to come back.
            self.connected.clear()
            _close(sock)
            back = self._reconnect(card, stop)
            if back is None:
                return
            sock = back

    def _reconnect(self, card: CardApplication, stop: threading.Event) -> socket.socket | None:
        while not stop.wait(0.2):
            try:
                sock = self._connect()
            except ConnectionError:
                continue
            with self._lock:
                if stop.is_set():
                    _close(sock)
                    return None
                self._sock = sock
            card.power_on()
            self.connected.set()
            log.debug("virtual card reconnected to vpcd", extra={"port": self.port})
            return sock
        return None

    def _dialogue(
        self,
        card: CardApplication,
        sock: socket.socket,
        pull_after: int | None,
        stop: threading.Event,
    ) -> None:
        while True:
            (length,) = struct.unpack("!H", _recv_exact(sock, 2))
            payload = _recv_exact(sock, length)
            if length == 1:
                code = payload[0]
                if code == CTRL_GET_ATR:
                    _send(sock, card.atr)
                elif code in (CTRL_POWER_ON, CTRL_RESET):
                    card.power_on()
                # power off needs no reply; unknown control codes are ignored like vicc does
                continue
            if pull_after is not None and self.apdu_count >= pull_after:
                log.debug("virtual card pulled mid-dialogue", extra={"after": self.apdu_count})
                with self._lock:
                    stop.set()
                    if self._sock is sock:
                        self._card = self._sock = None
                _close(sock)
                _last_removed[(self.host, self.port)] = time.monotonic()
                self.connected.clear()
                return
            self.apdu_count += 1
            _send(sock, card.process(payload))


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise _Closed
        buf += chunk
        _quick_ack(sock)
    return buf


def _quick_ack(sock: socket.socket) -> None:
    """vpcd writes the length and the payload in two small writes without TCP_NODELAY, so
    Nagle holds the payload until our delayed ACK (40 ms on Linux): every APDU would cost
    40 ms. ACK at once instead (Linux resets quick-ACK mode, so set it after each read)."""
    if _TCP_QUICKACK is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)


_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack("!H", len(payload)) + payload)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
