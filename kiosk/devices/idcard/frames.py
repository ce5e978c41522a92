"""SAM serial framing (GA/T 467): build frames, deframe a byte stream, name the SW3 status.

    host->SAM : AA AA AA 96 69 | LEN_H LEN_L | CMD PARA [DATA] | CHK
    SAM->host : AA AA AA 96 69 | LEN_H LEN_L | SW1 SW2 SW3 [DATA] | CHK

LEN is big-endian and counts every byte after itself, CHK included. CHK is the XOR of
the LEN bytes through the last data byte.
"""

from __future__ import annotations

from dataclasses import dataclass

PREAMBLE = bytes.fromhex("AAAAAA9669")
HEADER_LEN = len(PREAMBLE) + 2  # preamble + LEN
MIN_LEN = 3  # a host command: CMD PARA CHK
MIN_REPLY_LEN = 4  # a SAM reply: SW1 SW2 SW3 CHK
# The largest genuine reply is 30 10 with two fingerprint templates: LEN 0x090A (2314).
# Anything well beyond that is a corrupted length field, not a frame worth waiting for.
MAX_LEN = 0x1000


class FrameError(Exception):
    """A frame could not be taken from the wire. `code` is stable and language-neutral."""

    code = "frame"


class ChecksumError(FrameError):
    code = "checksum"


class ShortFrameError(FrameError):
    """The bytes stop before the frame's length says they should."""

    code = "short_frame"


class LengthError(FrameError):
    """The length field is impossible (too small for any frame, or absurdly large)."""

    code = "bad_length"


class NoFrameError(FrameError):
    """Bytes arrived but none of them start a frame."""

    code = "no_frame"


class FrameTimeout(FrameError):
    code = "timeout"


def checksum(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def build_frame(body: bytes) -> bytes:
    """Wrap a body (CMD PARA DATA, or SW1 SW2 SW3 DATA) in preamble, length and checksum."""
    length = len(body) + 1
    if length > 0xFFFF:
        raise ValueError(f"frame body too long ({len(body)} bytes)")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + body + bytes([checksum(head + body)])


def build_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    return build_frame(bytes([cmd, para]) + data)


def build_reply(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return build_frame(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True)
class Frame:
    """One checked frame: `body` is everything between LEN and CHK."""

    raw: bytes
    body: bytes

    @property
    def length(self) -> int:
        return len(self.body) + 1

    @property
    def is_command(self) -> bool:
        # A reply carries three status bytes plus CHK, so LEN 3 can only be a command.
        return self.length == MIN_LEN


@dataclass(frozen=True)
class Reply:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @classmethod
    def from_frame(cls, frame: Frame) -> Reply:
        if len(frame.body) < 3:
            raise LengthError(f"a SAM reply needs 3 status bytes, this frame has {len(frame.body)}")
        return cls(frame.body[0], frame.body[1], frame.body[2], frame.body[3:])

    @property
    def ok(self) -> bool:
        return self.sw3 in OK_CODES

    @property
    def meaning(self) -> str:
        return describe_sw3(self.sw3)


class Deframer:
    """Assembles frames from a byte stream that may arrive in any fragments.

    Bytes before a preamble are skipped (and counted). A frame whose checksum fails is
    dropped whole; a frame with an impossible length loses its first byte so the search
    resumes right after it. Either raises, and the next call carries on with the rest.
    """

    def __init__(self, max_len: int = MAX_LEN) -> None:
        self._buf = bytearray()
        self.max_len = max_len
        self.skipped = 0  # garbage bytes dropped before preambles, total

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def pending(self) -> int:
        return len(self._buf)

    @property
    def in_frame(self) -> bool:
        """True when the buffer starts with (part of) a preamble: a frame is on its way."""
        self._skip_garbage()
        return bool(self._buf)

    def wanted(self) -> int:
        """How many more bytes would complete the frame in progress (at least 1)."""
        self._skip_garbage()
        if len(self._buf) < HEADER_LEN:
            return HEADER_LEN - len(self._buf)
        length = int.from_bytes(self._buf[5:7], "big")
        if not MIN_LEN <= length <= self.max_len:
            return 1
        return max(1, HEADER_LEN + length - len(self._buf))

    def next_frame(self) -> Frame | None:
        """The next complete frame, or None until more bytes arrive."""
        self._skip_garbage()
        if len(self._buf) < HEADER_LEN:
            return None
        length = int.from_bytes(self._buf[5:7], "big")
        if not MIN_LEN <= length <= self.max_len:
            del self._buf[0]
            raise LengthError(f"impossible frame length {length} (0x{length:04X})")
        end = HEADER_LEN + length
        if len(self._buf) < end:
            return None
        raw = bytes(self._buf[:end])
        del self._buf[:end]
        expected = checksum(raw[5:-1])
        if raw[-1] != expected:
            raise ChecksumError(
                f"bad checksum: frame says 0x{raw[-1]:02X}, bytes give 0x{expected:02X}"
            )
        return Frame(raw, raw[HEADER_LEN:-1])

    def take_rest(self) -> bytes:
        """Drop and return whatever is buffered (trailing bytes after the last frame)."""
        rest = bytes(self._buf)
        self._buf.clear()
        return rest

    def _skip_garbage(self) -> None:
        buf = self._buf
        if not buf or buf.startswith(PREAMBLE):
            return
        at = buf.find(PREAMBLE)
        if at < 0:
            # Keep a tail that could be the start of a preamble split across reads.
            keep = 0
            for n in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
                if buf.endswith(PREAMBLE[:n]):
                    keep = n
                    break
            at = len(buf) - keep
        if at:
            self.skipped += at
            del buf[:at]


def split_frames(data: bytes, max_len: int = MAX_LEN) -> tuple[list[Frame], int, bytes]:
    """Every frame in a complete capture: (frames, garbage bytes skipped, trailing bytes).

    Raises the first FrameError met; a capture that ends inside a frame raises
    ShortFrameError, one with no preamble at all raises NoFrameError.
    """
    deframer = Deframer(max_len)
    deframer.feed(data)
    frames: list[Frame] = []
    while (frame := deframer.next_frame()) is not None:
        frames.append(frame)
    rest = deframer.take_rest()
    if rest.startswith(PREAMBLE) or (not frames and rest and PREAMBLE.startswith(rest)):
        have = len(rest)
        need = HEADER_LEN + int.from_bytes(rest[5:7], "big") if have >= HEADER_LEN else HEADER_LEN
        raise ShortFrameError(f"frame cut short: {have} of {need} bytes")
    if not frames:
        raise NoFrameError(
            f"no frame found in {len(data)} bytes (a frame starts with AA AA AA 96 69)"
        )
    return frames, deframer.skipped, rest


# SW3, the reader's status byte. English and Chinese meanings.
OK = 0x90
FIND_OK = 0x9F
NO_CONTENT = 0x91
NO_CARD = 0x80
SELECT_FAILED = 0x81
READ_FAILED = 0x41
OK_CODES = frozenset({OK, FIND_OK})

SW3_CODES: dict[int, tuple[str, str]] = {
    0x90: ("OK", "操作成功"),
    0x9F: ("find card OK", "寻找证/卡成功"),
    0x91: ("no such item on the card (e.g. no fingerprint)", "此项无内容"),
    0x10: ("checksum error in the host's frame", "接收业务终端数据的校验和错"),
    0x11: ("length error in the host's frame", "接收业务终端数据的长度错"),
    0x21: ("command error from the host", "接收业务终端的命令错误"),
    0x23: ("unauthorised operation", "越权操作"),
    0x24: ("unknown error", "无法识别的错误"),
    0x31: ("card-to-SAM authentication failed", "证/卡认证机具失败"),
    0x32: ("SAM-to-card authentication failed", "机具认证证/卡失败"),
    0x33: ("information verification error", "信息验证错误"),
    0x40: ("unrecognised card type", "无法识别的卡类型"),
    0x41: ("card read failed", "读证/卡操作失败"),
    0x47: ("get random number failed", "取随机数失败"),
    0x60: ("SAM self-test failed", "SAM_A自检失败，不能接收命令"),
    0x66: ("SAM not authorised", "SAM_A没经过授权，无法使用"),
    0x80: ("find card failed (no card)", "寻找证/卡失败"),
    0x81: ("select card failed", "选取证/卡失败"),
}


def describe_sw3(sw3: int, language: str = "en") -> str:
    meanings = SW3_CODES.get(sw3)
    if meanings is None:
        return f"unknown status 0x{sw3:02X}" if language == "en" else f"未知状态 0x{sw3:02X}"
    return meanings[0] if language == "en" else meanings[1]


def sw3_json(reply: Reply) -> dict[str, object]:
    return {
        "sw1": f"{reply.sw1:02X}",
        "sw2": f"{reply.sw2:02X}",
        "sw3": f"{reply.sw3:02X}",
        "ok": reply.ok,
        "meaning": describe_sw3(reply.sw3),
        "meaning_zh": describe_sw3(reply.sw3, "zh"),
    }
