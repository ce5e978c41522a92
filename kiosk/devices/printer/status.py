"""DLE EOT real-time status (`10 04 n`, one byte back per n) and its XFS4IoT meaning.

Every DLE EOT reply has the fixed bits `0xx1xx10`; anything else is not a status reply
(an ASB byte, XON/XOFF, a `GS r` answer, line noise) and is refused rather than guessed.
python-escpos 3.1 reads "paper OK" from silence, so silence here is an error too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.devices.base import DeviceError, DeviceState, PaperState

DLE_EOT = b"\x10\x04"
STATUS_KINDS = (1, 2, 3, 4)  # printer, offline cause, error cause, roll paper sensor

# Reply patterns ("identification of send status"): mask, value.
_DLE_EOT_MASK, _DLE_EOT_VALUE = 0x93, 0x12  # 0xx1xx10
_GS_R_MASK, _GS_R_VALUE = 0x90, 0x00  # 0xx0xxxx (GS r, GS I, ASB bytes 2-4)


class StatusError(DeviceError):
    """A reply that is not a valid DLE EOT status byte (or no reply at all)."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_status_reply", message, state=DeviceState.HARDWARE_ERROR)


def is_status_byte(value: int) -> bool:
    return value & _DLE_EOT_MASK == _DLE_EOT_VALUE


def is_gs_r_byte(value: int) -> bool:
    return value & _GS_R_MASK == _GS_R_VALUE


def query_bytes(n: int) -> bytes:
    if n not in STATUS_KINDS:
        raise ValueError(f"DLE EOT n must be 1..4, got {n}")
    return DLE_EOT + bytes([n])


def check_reply(n: int, reply: bytes) -> int:
    """The one status byte in `reply`, or StatusError."""
    if n not in STATUS_KINDS:
        raise StatusError(f"DLE EOT {n}: no such status kind")
    if len(reply) == 0:
        raise StatusError(f"DLE EOT {n}: no reply")
    if len(reply) != 1:
        raise StatusError(f"DLE EOT {n}: {len(reply)} bytes back, expected exactly 1")
    if not is_status_byte(reply[0]):
        raise StatusError(f"DLE EOT {n}: 0x{reply[0]:02X} does not match the 0xx1xx10 pattern")
    return reply[0]


@dataclass(frozen=True)
class PrinterStatus:
    """Decoded DLE EOT 1..4. `raw` keeps the bytes for the technician."""

    raw: Mapping[int, int]
    offline: bool
    cover_open: bool
    paper_end_stop: bool
    error: bool
    cutter_error: bool
    mechanical_error: bool
    unrecoverable_error: bool
    auto_recoverable_error: bool
    paper_near_end: bool
    paper_end: bool
    feed_button: bool

    @property
    def paper(self) -> PaperState:
        if self.paper_end or self.paper_end_stop:
            return PaperState.OUT
        if self.paper_near_end:
            return PaperState.LOW
        return PaperState.FULL

    @property
    def problem(self) -> str | None:
        """Why the printer cannot print now, as a DeviceError code; None when it can."""
        if self.cover_open:
            return "cover_open"
        if self.paper is PaperState.OUT:
            return "paper_out"
        if self.cutter_error:
            return "cutter_error"
        if self.unrecoverable_error or self.mechanical_error or self.auto_recoverable_error:
            return "hardware_error"
        if self.offline:
            return "offline"
        return None

    @property
    def device_state(self) -> DeviceState:
        problem = self.problem
        if problem in ("cover_open", "paper_out"):
            return DeviceState.USER_ERROR  # staff fix it by hand: close the cover, load paper
        if problem in ("cutter_error", "hardware_error"):
            return DeviceState.HARDWARE_ERROR
        if problem == "offline":
            return DeviceState.OFFLINE
        return DeviceState.ONLINE

    def raw_hex(self) -> dict[str, str]:
        return {str(n): f"0x{b:02X}" for n, b in sorted(self.raw.items())}


def parse_status(raw: Mapping[int, int | bytes]) -> PrinterStatus:
    """Decode replies to DLE EOT 1..4 (each one byte, or an int). Missing kinds read as clear."""
    values: dict[int, int] = {}
    for n, reply in raw.items():
        values[n] = check_reply(n, bytes([reply]) if isinstance(reply, int) else bytes(reply))
    b1, b2, b3, b4 = (values.get(n, 0x12) for n in STATUS_KINDS)
    return PrinterStatus(
        raw=dict(values),
        offline=bool(b1 & 0x08),
        feed_button=bool(b1 & 0x40),
        cover_open=bool(b2 & 0x04),
        paper_end_stop=bool(b2 & 0x20),
        error=bool(b2 & 0x40),
        mechanical_error=bool(b3 & 0x04),
        cutter_error=bool(b3 & 0x08),
        unrecoverable_error=bool(b3 & 0x20),
        auto_recoverable_error=bool(b3 & 0x40),
        paper_near_end=bool(b4 & 0x0C),
        paper_end=bool(b4 & 0x60),
    )


def status_bytes(
    *,
    paper: str = "ok",
    cover_open: bool = False,
    offline: bool = False,
    cutter_error: bool = False,
) -> dict[int, int]:
    """What a printer in this state answers to DLE EOT 1..4 (used by the emulator).

    Out of paper gives n=1 0x1A, n=2 0x32, n=4 0x7E, as documented for Epson-compatible models.
    """
    out = paper == "out"
    stopped = offline or out or cover_open or cutter_error
    b1 = 0x12 | (0x08 if stopped else 0) | (0x20 if cutter_error else 0)
    b2 = 0x12 | (0x04 if cover_open else 0) | (0x20 if out else 0) | (0x40 if cutter_error else 0)
    b3 = 0x12 | (0x08 if cutter_error else 0)
    b4 = 0x12 | (0x0C if paper in ("low", "out") else 0) | (0x60 if out else 0)
    return {1: b1, 2: b2, 3: b3, 4: b4}
