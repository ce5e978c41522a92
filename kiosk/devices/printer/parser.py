"""An incremental ESC/POS byte-stream parser, shared by the virtual printer and the renderer.

`feed()` takes bytes as they arrive (a TCP segment may end inside a command) and returns the
operations that are complete. Strict mode raises `EscPosError` on anything a printer would not
accept (unknown commands, broken GB18030, truncation at `finish()`); lenient mode, used by the
emulator, skips such bytes the way a printer prints through noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

MAX_RASTER_BYTES = 1 << 21  # a 576-dot wide image 29 000 lines long; more is noise

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10

_CODE_PAGES = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857", 14: "cp737",
    15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 21: "cp874",
    32: "cp720", 33: "cp775", 34: "cp855", 35: "cp861", 36: "cp862", 37: "cp864",
    38: "cp869", 39: "iso8859_2", 40: "iso8859_15",
}  # fmt: skip

# Commands with a fixed number of parameter bytes: (prefix, second byte) -> count.
_FIXED = {
    (ESC, ord("@")): 0, (ESC, ord("t")): 1, (ESC, ord("!")): 1, (ESC, ord("E")): 1,
    (ESC, ord("G")): 1, (ESC, ord("-")): 1, (ESC, ord("a")): 1, (ESC, ord("d")): 1,
    (ESC, ord("J")): 1, (ESC, ord("e")): 1, (ESC, ord("2")): 0, (ESC, ord("3")): 1,
    (ESC, ord("M")): 1, (ESC, ord("V")): 1, (ESC, ord("{")): 1, (ESC, ord("R")): 1,
    (ESC, ord("c")): 2, (ESC, ord("p")): 3, (ESC, ord("$")): 2, (ESC, ord("\\")): 2,
    (ESC, ord(" ")): 1, (ESC, ord("i")): 0, (ESC, ord("m")): 0, (ESC, ord("B")): 2,
    (ESC, ord("r")): 1, (ESC, ord("u")): 1, (ESC, ord("v")): 0, (ESC, ord("U")): 1,
    (ESC, ord("L")): 0, (ESC, ord("S")): 0, (ESC, ord("T")): 1, (ESC, ord("W")): 8,
    (ESC, ord("%")): 1, (ESC, ord("=")): 1, (ESC, ord("?")): 1,
    (FS, ord("&")): 0, (FS, ord(".")): 0, (FS, ord("!")): 1, (FS, ord("-")): 1,
    (FS, ord("W")): 1, (FS, ord("S")): 2, (FS, ord("C")): 1, (FS, ord("2")): 74,
    (FS, ord("p")): 2, (FS, ord("?")): 2,
    (GS, ord("!")): 1, (GS, ord("B")): 1, (GS, ord("b")): 1, (GS, ord("H")): 1,
    (GS, ord("f")): 1, (GS, ord("h")): 1, (GS, ord("w")): 1, (GS, ord("L")): 2,
    (GS, ord("W")): 2, (GS, ord("a")): 1, (GS, ord("r")): 1, (GS, ord("I")): 1,
    (GS, ord("P")): 2, (GS, ord("$")): 2, (GS, ord("\\")): 2, (GS, ord("T")): 1,
    (GS, ord("/")): 1, (GS, ord(":")): 0, (GS, ord("^")): 3, (GS, ord("j")): 1,
    (DLE, 0x04): 1, (DLE, 0x05): 1,
}  # fmt: skip

_NAMES = {ESC: "ESC", FS: "FS", GS: "GS", DLE: "DLE"}

# GS k m: function A (m 0..6, NUL-terminated) and function B (m 65..73, length-prefixed).
BARCODE_SYSTEMS = {
    0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "CODABAR",
    65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF", 71: "CODABAR",
    72: "CODE93", 73: "CODE128",
}  # fmt: skip


class EscPosError(ValueError):
    """The bytes are not an ESC/POS stream this parser accepts; `offset` points at the bad byte."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"byte {offset}: {message}")
        self.offset = offset


@dataclass(frozen=True)
class Style:
    align: int = 0  # 0 left, 1 centre, 2 right
    bold: bool = False
    underline: bool = False
    invert: bool = False
    font_b: bool = False
    mode: int = 0  # ESC ! bits: 0x10 double height, 0x20 double width (single-byte text)
    cjk_mode: int = 0  # FS ! bits: 0x04 double width, 0x08 double height (CJK text)
    width: int = 1  # GS ! magnification, all text
    height: int = 1

    def scale(self, cjk: bool) -> tuple[int, int]:
        """(width, height) magnification of a character."""
        if cjk:
            dw, dh = bool(self.cjk_mode & 0x04), bool(self.cjk_mode & 0x08)
        else:
            dw, dh = bool(self.mode & 0x20), bool(self.mode & 0x10)
        return self.width * (2 if dw else 1), self.height * (2 if dh else 1)


@dataclass(frozen=True, kw_only=True)
class Op:
    nbytes: int = 0  # bytes of the stream this operation took


@dataclass(frozen=True)
class Init(Op):
    pass


@dataclass(frozen=True)
class Text(Op):
    text: str
    style: Style
    single_byte: bool = False  # decoded from a code page: every character is one column


@dataclass(frozen=True)
class Newline(Op):
    style: Style


@dataclass(frozen=True)
class Feed(Op):
    dots: int  # paper feed in dots (lines are 30 dots)


@dataclass(frozen=True)
class Qr(Op):
    data: bytes
    module: int
    ec: str  # L M Q H
    style: Style


@dataclass(frozen=True)
class Raster(Op):
    width_bytes: int
    height: int
    mode: int  # 0 normal, 1 double width, 2 double height, 3 both
    data: bytes
    style: Style


@dataclass(frozen=True)
class BarcodeStyle:
    """GS h / GS w / GS H: bar height in dots, narrow module width, where the digits go."""

    height: int = 162
    module: int = 3
    hri: int = 0  # 0 none, 1 above, 2 below, 3 both


@dataclass(frozen=True)
class Barcode(Op):
    """GS k: a 1-D barcode in one of the printer's symbologies (see BARCODE_SYSTEMS)."""

    system: str
    data: bytes
    look: BarcodeStyle
    style: Style


@dataclass(frozen=True)
class Cut(Op):
    partial: bool


@dataclass(frozen=True)
class StatusQuery(Op):
    """DLE EOT n: real time, answered at once with one byte."""

    n: int


@dataclass(frozen=True)
class TransmitStatus(Op):
    """GS r n: answered in buffer order, i.e. after everything before it is printed."""

    n: int


@dataclass(frozen=True)
class Command(Op):
    """Any other recognised command (kept for traces; nothing to render)."""

    name: str
    args: bytes = b""


@dataclass(frozen=True)
class Unknown(Op):
    """Bytes the lenient parser skipped."""

    data: bytes
    reason: str


@dataclass
class _QrState:
    module: int = 3
    ec: str = "L"
    data: bytes = b""


@dataclass
class EscPosParser:
    strict: bool = False
    chinese_default: bool = False  # the printer's power-on mode (DIP switch)
    style: Style = field(default_factory=Style)
    chinese: bool = False
    codepage: int = 0
    _buf: bytearray = field(default_factory=bytearray)
    _offset: int = 0  # stream offset of _buf[0]
    _qr: _QrState = field(default_factory=_QrState)
    _bar: BarcodeStyle = field(default_factory=BarcodeStyle)

    def __post_init__(self) -> None:
        self.chinese = self.chinese_default

    # -- public -----------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Op]:
        self._buf += data
        ops: list[Op] = []
        pos = 0
        buf = self._buf
        while pos < len(buf):
            step = self._one(buf, pos, ops)
            if step == 0:  # incomplete: wait for more bytes
                break
            pos += step
        del buf[:pos]
        self._offset += pos
        return ops

    def finish(self) -> list[Op]:
        """End of stream: what is left is a truncated command."""
        if not self._buf:
            return []
        rest = bytes(self._buf)
        if self.strict:
            raise EscPosError(self._offset, f"stream ends inside a command ({_hex(rest[:8])})")
        self._offset += len(rest)
        self._buf.clear()
        return [Unknown(rest, "truncated", nbytes=len(rest))]

    # -- one command --------------------------------------------------------------------

    def _bad(self, buf: bytearray, pos: int, size: int, reason: str, ops: list[Op]) -> int:
        if self.strict:
            raise EscPosError(self._offset + pos, reason)
        ops.append(Unknown(bytes(buf[pos : pos + size]), reason, nbytes=size))
        return size

    def _one(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        b = buf[pos]
        if b >= 0x20 and b != 0x7F:
            return self._text(buf, pos, ops)
        if b == 0x0A:
            ops.append(Newline(self.style, nbytes=1))
            return 1
        if b in (0x0D, 0x18, 0x11, 0x13):  # CR (no auto feed), CAN, XON/XOFF: nothing printed
            ops.append(Command(_CTRL.get(b, f"0x{b:02X}"), nbytes=1))
            return 1
        if b == 0x09:
            ops.append(Text("\t", self.style, nbytes=1))
            return 1
        if b == 0x0C:
            ops.append(Newline(self.style, nbytes=1))
            return 1
        if b in (ESC, FS, GS, DLE):
            if pos + 1 >= len(buf):
                return 0
            return self._command(buf, pos, ops)
        return self._bad(buf, pos, 1, f"unexpected control byte 0x{b:02X}", ops)

    def _text(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        out: list[str] = []
        i = pos
        n = len(buf)
        while i < n:
            b = buf[i]
            if b < 0x20 or b == 0x7F:
                break
            if b < 0x80:
                out.append(chr(b))
                i += 1
                continue
            if not self.chinese:
                out.append(bytes([b]).decode(_CODE_PAGES.get(self.codepage, "cp437"), "replace"))
                i += 1
                continue
            size = _gb_size(buf, i)
            if size == 0:  # need more bytes
                break
            if size < 0:
                if out:
                    break  # report the text so far, then the bad byte
                return self._bad(buf, i, 1, f"invalid GB18030 byte 0x{b:02X}", ops)
            try:
                out.append(bytes(buf[i : i + size]).decode("gb18030"))
            except UnicodeDecodeError:
                if out:
                    break
                return self._bad(
                    buf, i, size, f"invalid GB18030 sequence {_hex(buf[i : i + size])}", ops
                )
            i += size
        if i == pos:
            return 0
        ops.append(Text("".join(out), self.style, not self.chinese, nbytes=i - pos))
        return i - pos

    def _command(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        lead, code = buf[pos], buf[pos + 1]
        name = f"{_NAMES[lead]} {_show(code)}"
        if lead == GS and code == ord("("):
            return self._gs_paren(buf, pos, ops)
        if lead == GS and code == ord("8"):
            return self._sized(buf, pos, 3, 4, ops, "GS 8 L")
        if lead == GS and code == ord("v"):
            return self._raster(buf, pos, ops)
        if lead == GS and code == ord("V"):
            return self._cut(buf, pos, ops)
        if lead == GS and code == ord("k"):
            return self._barcode(buf, pos, ops)
        if lead == GS and code == ord("*"):
            if pos + 4 > len(buf):
                return 0
            size = 4 + buf[pos + 2] * buf[pos + 3] * 8
            return self._whole(buf, pos, size, ops, Command("GS *", nbytes=size))
        if lead == ESC and code == ord("*"):
            return self._bit_image(buf, pos, ops)
        if lead == ESC and code == ord("D"):
            return self._tabs(buf, pos, ops)
        if lead == DLE and code == 0x14:
            return self._dle_dc4(buf, pos, ops)
        count = _FIXED.get((lead, code))
        if count is None:
            return self._bad(buf, pos, 2, f"unknown command {name}", ops)
        size = 2 + count
        if pos + size > len(buf):
            return 0
        args = bytes(buf[pos + 2 : pos + size])
        return self._apply(lead, code, name, args, size, pos, ops)

    def _apply(
        self, lead: int, code: int, name: str, args: bytes, size: int, pos: int, ops: list[Op]
    ) -> int:
        s = self.style
        c = chr(code)
        n = args[0] if args else 0
        if lead == DLE:
            if code == 0x04:
                if n not in (1, 2, 3, 4):
                    return self._bad_args(pos, size, f"DLE EOT {n}: n must be 1..4", ops, args)
                ops.append(StatusQuery(n, nbytes=size))
            else:
                ops.append(Command("DLE ENQ", args, nbytes=size))
            return size
        if lead == ESC:
            if c == "@":
                self.style = Style()
                self.chinese = self.chinese_default
                self.codepage = 0
                self._qr = _QrState()
                self._bar = BarcodeStyle()
                ops.append(Init(nbytes=size))
                return size
            if c == "!":
                self.style = replace(
                    s, mode=n, bold=bool(n & 0x08), underline=bool(n & 0x80), font_b=bool(n & 1)
                )
            elif c == "E":
                self.style = replace(s, bold=bool(n & 1))
            elif c == "-":
                self.style = replace(s, underline=bool(n & 3))
            elif c == "a":
                self.style = replace(
                    s, align={0: 0, 1: 1, 2: 2, 48: 0, 49: 1, 50: 2}.get(n, s.align)
                )
            elif c == "M":
                self.style = replace(s, font_b=n in (1, 49))
            elif c == "t":
                self.codepage = n
            elif c == "d":
                ops.append(Feed(30 * n, nbytes=size))
                return size
            elif c == "J":
                ops.append(Feed(n, nbytes=size))
                return size
            elif c in "im":
                ops.append(Cut(True, nbytes=size))
                return size
        elif lead == FS:
            if c == "&":
                self.chinese = True
            elif c == ".":
                self.chinese = False
            elif c == "!":
                self.style = replace(s, cjk_mode=n)
            elif c == "W":
                self.style = replace(s, cjk_mode=0x0C if n & 1 else 0)
        elif lead == GS:
            if c == "!":
                self.style = replace(s, width=(n >> 4 & 7) + 1, height=(n & 7) + 1)
            elif c == "B":
                self.style = replace(s, invert=bool(n & 1))
            elif c == "r":
                ops.append(TransmitStatus(n, nbytes=size))
                return size
            elif c == "h":
                self._bar = replace(self._bar, height=max(n, 1))
            elif c == "w":
                self._bar = replace(self._bar, module=n if 1 <= n <= 6 else self._bar.module)
            elif c == "H":
                self._bar = replace(self._bar, hri=n & 3 if n < 4 or 48 <= n <= 51 else 0)
        ops.append(Command(name, args, nbytes=size))
        return size

    def _bad_args(self, pos: int, size: int, reason: str, ops: list[Op], args: bytes) -> int:
        if self.strict:
            raise EscPosError(self._offset + pos, reason)
        ops.append(Unknown(args, reason, nbytes=size))
        return size

    def _whole(self, buf: bytearray, pos: int, size: int, ops: list[Op], op: Op) -> int:
        if pos + size > len(buf):
            return 0
        ops.append(op)
        return size

    def _sized(
        self, buf: bytearray, pos: int, head: int, lenbytes: int, ops: list[Op], name: str
    ) -> int:
        """Commands `prefix p1..pk data` whose length is little-endian after `head` bytes."""
        if pos + head + lenbytes > len(buf):
            return 0
        length = int.from_bytes(buf[pos + head : pos + head + lenbytes], "little")
        if length > MAX_RASTER_BYTES:
            return self._bad(buf, pos, head, f"{name}: length {length} is implausible", ops)
        size = head + lenbytes + length
        return self._whole(buf, pos, size, ops, Command(name, nbytes=size))

    def _gs_paren(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        # GS ( fn pL pH data
        if pos + 5 > len(buf):
            return 0
        fn = buf[pos + 2]
        length = buf[pos + 3] | buf[pos + 4] << 8
        size = 5 + length
        if pos + size > len(buf):
            return 0
        data = bytes(buf[pos + 5 : pos + size])
        if fn == ord("k") and len(data) >= 2 and data[0] == 49:  # cn=49: QR code
            qfn, rest = data[1], data[2:]
            if qfn == 65:
                pass  # model: always printed as model 2
            elif qfn == 67 and rest:
                if not 1 <= rest[0] <= 16:
                    return self._bad(buf, pos, size, f"QR module size {rest[0]} not in 1..16", ops)
                self._qr.module = rest[0]
            elif qfn == 69 and rest:
                self._qr.ec = {48: "L", 49: "M", 50: "Q", 51: "H"}.get(rest[0], self._qr.ec)
            elif qfn == 80 and rest:
                self._qr.data = bytes(rest[1:])  # skip m (48)
            elif qfn == 81:
                q = self._qr
                ops.append(Qr(q.data, q.module, q.ec, self.style, nbytes=size))
                return size
            ops.append(Command(f"GS ( k QR fn {qfn}", data, nbytes=size))
            return size
        ops.append(Command(f"GS ( {_show(fn)}", data, nbytes=size))
        return size

    def _raster(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        # GS v 0 m xL xH yL yH d1..dk, k = x * y
        if pos + 8 > len(buf):
            return 0
        if buf[pos + 2] != ord("0"):
            return self._bad(buf, pos, 3, f"unknown command GS v {_show(buf[pos + 2])}", ops)
        m = buf[pos + 3]
        if m not in (0, 1, 2, 3, 48, 49, 50, 51):
            return self._bad(buf, pos, 4, f"GS v 0: mode {m} not in 0..3", ops)
        x = buf[pos + 4] | buf[pos + 5] << 8
        y = buf[pos + 6] | buf[pos + 7] << 8
        k = x * y
        if k > MAX_RASTER_BYTES:
            return self._bad(buf, pos, 8, f"GS v 0: {x}x{y} bytes is implausible", ops)
        size = 8 + k
        if pos + size > len(buf):
            return 0
        data = bytes(buf[pos + 8 : pos + size])
        ops.append(Raster(x, y, m & 3, data, self.style, nbytes=size))
        return size

    def _cut(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        if pos + 3 > len(buf):
            return 0
        m = buf[pos + 2]
        if m in (0, 1, 48, 49):
            size = 3
        elif m in (65, 66, 97, 98, 103, 104):
            size = 4
        else:
            return self._bad(buf, pos, 3, f"GS V: cut mode {m} unknown", ops)
        if pos + size > len(buf):
            return 0
        ops.append(Cut(m in (1, 49, 66, 98, 104), nbytes=size))
        return size

    def _barcode(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        if pos + 3 > len(buf):
            return 0
        m = buf[pos + 2]
        if m <= 6:
            end = buf.find(b"\x00", pos + 3, pos + 3 + 256)
            if end < 0:
                if len(buf) - pos > 259:
                    return self._bad(buf, pos, 3, "GS k: barcode data has no NUL end", ops)
                return 0
            data, size = bytes(buf[pos + 3 : end]), end + 1 - pos
        elif 65 <= m <= 79:
            if pos + 4 > len(buf):
                return 0
            size = 4 + buf[pos + 3]
            if pos + size > len(buf):
                return 0
            data = bytes(buf[pos + 4 : pos + size])
        else:
            return self._bad(buf, pos, 3, f"GS k: barcode system {m} unknown", ops)
        system = BARCODE_SYSTEMS.get(m)
        if system is None:
            return self._bad(buf, pos, size, f"GS k: barcode system {m} unknown", ops)
        ops.append(Barcode(system, data, self._bar, self.style, nbytes=size))
        return size

    def _bit_image(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        if pos + 5 > len(buf):
            return 0
        m = buf[pos + 2]
        if m not in (0, 1, 32, 33):
            return self._bad(buf, pos, 3, f"ESC *: mode {m} unknown", ops)
        n = buf[pos + 3] | buf[pos + 4] << 8
        size = 5 + n * (3 if m >= 32 else 1)
        return self._whole(buf, pos, size, ops, Command("ESC * bit image", nbytes=size))

    def _tabs(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        end = buf.find(b"\x00", pos + 2, pos + 2 + 33)
        if end < 0:
            if len(buf) - pos >= 35:
                return self._bad(buf, pos, 2, "ESC D: tab list has no NUL end", ops)
            return 0
        size = end + 1 - pos
        ops.append(Command("ESC D", bytes(buf[pos + 2 : end]), nbytes=size))
        return size

    def _dle_dc4(self, buf: bytearray, pos: int, ops: list[Op]) -> int:
        if pos + 3 > len(buf):
            return 0
        fn = buf[pos + 2]
        params = {1: 2, 2: 2, 7: 3, 8: 7}.get(fn)
        if params is None:
            return self._bad(buf, pos, 3, f"DLE DC4: function {fn} unknown", ops)
        size = 3 + params
        return self._whole(
            buf,
            pos,
            size,
            ops,
            Command(f"DLE DC4 {fn}", bytes(buf[pos + 3 : pos + size]), nbytes=size),
        )


_CTRL = {0x0D: "CR", 0x18: "CAN", 0x11: "XON", 0x13: "XOFF"}


def _gb_size(buf: bytearray, i: int) -> int:
    """Length of the GB18030 character at i: 2 or 4, 0 if more bytes are needed, -1 if invalid."""
    b0 = buf[i]
    if not 0x81 <= b0 <= 0xFE:
        return -1
    if i + 1 >= len(buf):
        return 0
    b1 = buf[i + 1]
    if 0x30 <= b1 <= 0x39:
        if i + 3 >= len(buf):
            return 0 if i + 2 >= len(buf) or 0x81 <= buf[i + 2] <= 0xFE else -1
        if 0x81 <= buf[i + 2] <= 0xFE and 0x30 <= buf[i + 3] <= 0x39:
            return 4
        return -1
    if 0x40 <= b1 <= 0xFE and b1 != 0x7F:
        return 2
    return -1


def _show(b: int) -> str:
    return chr(b) if 0x21 <= b < 0x7F else f"0x{b:02X}"


def _hex(data: bytes | bytearray) -> str:
    return " ".join(f"{x:02X}" for x in data)


def parse(data: bytes, *, strict: bool = True, chinese_default: bool = False) -> list[Op]:
    """Parse a complete captured stream."""
    parser = EscPosParser(strict=strict, chinese_default=chinese_default)
    return parser.feed(data) + parser.finish()
