"""The SAM commands a terminal sends, and the payloads of their replies."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kiosk.devices.idcard.frames import Frame, LengthError, build_command


class Command(enum.Enum):
    """(CMD, PARA) pairs. Baud changes are 60 00..04, see BAUD_CODES."""

    RESET = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND = (0x20, 0x01)
    SELECT = (0x20, 0x02)
    READ = (0x30, 0x01)  # text + photo
    READ_ADDRESS = (0x30, 0x03)  # appended address (追加住址)
    READ_FINGERPRINTS = (0x30, 0x10)  # text + photo + fingerprints

    @property
    def frame(self) -> bytes:
        return build_command(*self.value)


COMMAND_NAMES = {
    Command.RESET: "reset",
    Command.SAM_STATUS: "sam_status",
    Command.SAM_ID: "sam_id",
    Command.FIND: "find",
    Command.SELECT: "select",
    Command.READ: "read",
    Command.READ_ADDRESS: "read_appended_address",
    Command.READ_FINGERPRINTS: "read_with_fingerprints",
}

BAUD_CMD = 0x60
BAUD_CODES: dict[int, int] = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}
BAUD_BY_CODE = {code: baud for baud, code in BAUD_CODES.items()}


def baud_frame(baudrate: int) -> bytes:
    if baudrate not in BAUD_CODES:
        raise ValueError(f"the SAM supports {sorted(BAUD_CODES)} baud, not {baudrate}")
    return build_command(BAUD_CMD, BAUD_CODES[baudrate])


def command_name(cmd: int, para: int) -> str | None:
    """'find', 'baud_9600', … or None for a command this module does not know."""
    if cmd == BAUD_CMD and para in BAUD_BY_CODE:
        return f"baud_{BAUD_BY_CODE[para]}"
    for command, name in COMMAND_NAMES.items():
        if command.value == (cmd, para):
            return name
    return None


def identify_command(frame: Frame) -> str | None:
    if not frame.is_command:
        return None
    return command_name(frame.body[0], frame.body[1])


# Replies -------------------------------------------------------------------------------

FINGERPRINT_TEMPLATE_LEN = 512


@dataclass(frozen=True)
class ReadPayload:
    """The data of a 30 01 / 30 10 reply: 256 text bytes, WLT photo, fingerprint bytes."""

    text: bytes
    photo: bytes
    fingerprints: bytes
    with_fingerprints: bool

    @property
    def fingerprint_templates(self) -> list[bytes]:
        fp = self.fingerprints
        step = FINGERPRINT_TEMPLATE_LEN
        return [fp[i : i + step] for i in range(0, len(fp), step)]


def parse_read_payload(data: bytes, with_fingerprints: bool | None = None) -> ReadPayload:
    """Split a read reply's data by its big-endian length words.

    30 01 has two words (text, photo); 30 10 three (text, photo, fingerprints). With
    `with_fingerprints=None` the shape that adds up is taken.
    """
    shapes = [False, True] if with_fingerprints is None else [with_fingerprints]
    for fp in shapes:
        words = 3 if fp else 2
        if len(data) < 2 * words:
            continue
        lengths = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(words)]
        if 2 * words + sum(lengths) != len(data):
            continue
        at = 2 * words
        text = data[at : at + lengths[0]]
        photo = data[at + lengths[0] : at + lengths[0] + lengths[1]]
        prints = data[at + lengths[0] + lengths[1] :] if fp else b""
        return ReadPayload(text, photo, prints, fp)
    raise LengthError(
        f"read reply data of {len(data)} bytes does not match its own length words"
        f" ({data[:6].hex(' ').upper()})"
    )


def build_read_payload(text: bytes, photo: bytes, fingerprints: bytes | None) -> bytes:
    """Data for a 30 01 reply (fingerprints None) or a 30 10 reply."""
    parts = [len(text).to_bytes(2, "big"), len(photo).to_bytes(2, "big")]
    if fingerprints is not None:
        parts.append(len(fingerprints).to_bytes(2, "big"))
    return b"".join(parts) + text + photo + (fingerprints or b"")


def format_sam_id(data: bytes) -> str:
    """The SAM's management number, e.g. '05.01-20101118-000012345-001234567'.

    Layout as HslCommunication reads it: byte 0, byte 2, then three little-endian int32.
    """
    if len(data) < 16:
        raise LengthError(f"SAM id needs 16 data bytes, got {len(data)}")
    a = int.from_bytes(data[4:8], "little")
    b = int.from_bytes(data[8:12], "little")
    c = int.from_bytes(data[12:16], "little")
    return f"{data[0]:02d}.{data[2]:02d}-{a}-{b:09d}-{c:09d}"


def build_sam_id(major: int, minor: int, date: int, serial_a: int, serial_b: int) -> bytes:
    return (
        bytes([major, 0, minor, 0])
        + date.to_bytes(4, "little")
        + serial_a.to_bytes(4, "little")
        + serial_b.to_bytes(4, "little")
    )


def decode_ucs2(data: bytes) -> str:
    """UCS-2LE text padded with spaces (or NULs): decoded and stripped, never raising."""
    if len(data) % 2:
        data = data[:-1]
    return data.decode("utf-16-le", errors="replace").strip(" \x00")
