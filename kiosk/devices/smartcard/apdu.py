"""ISO 7816-4 APDUs and BER-TLV: building commands, the T=0 exchange rules, parsing replies.

Pure bytes, no PC/SC: the card applications (cards.py) and the readers (ssc.py, emv.py)
share these helpers, so both ends of the emulated link speak the same encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_SECURITY = 0x6982
SW_CONDITIONS = 0x6985
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
SW_WRONG_P1P2 = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

# GET RESPONSE chains longer than this are a broken card, not a long answer.
MAX_CHAINED_RESPONSES = 16
# Constructed objects nested deeper than this are a hostile card: EMV templates go 3 deep.
MAX_TLV_DEPTH = 16


class ApduError(Exception):
    """A reply that breaks the exchange rules (too short, endless chaining)."""


class TlvError(ValueError):
    """Bytes that are not well-formed BER-TLV."""


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ApduError(f"reply of {len(raw)} bytes has no status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")


def command(
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None
) -> bytes:
    """A short APDU; le=0 asks for up to 256 bytes (encoded as 00)."""
    if len(data) > 255:
        raise ValueError("short APDUs carry at most 255 data bytes")
    out = bytes([cla, ins, p1, p2])
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        if not 0 <= le <= 256:
            raise ValueError("Le must be 0..256")
        out += bytes([le & 0xFF])
    return out


def select_by_name(name: bytes, le: int | None = None) -> bytes:
    return command(0x00, 0xA4, 0x04, 0x00, name, le)


def select_file(fid: int) -> bytes:
    return command(0x00, 0xA4, 0x02, 0x00, fid.to_bytes(2, "big"))


def read_record(p1: int, p2: int, le: int = 0) -> bytes:
    return command(0x00, 0xB2, p1, p2, le=le)


def get_response(le: int) -> bytes:
    return command(0x00, 0xC0, 0x00, 0x00, le=le)


@dataclass(frozen=True)
class Command:
    """A parsed C-APDU (short form only, which is all these cards use)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    @classmethod
    def parse(cls, raw: bytes) -> Command:
        if len(raw) < 4:
            raise ApduError(f"command of {len(raw)} bytes is shorter than a header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:  # case 2: Le only
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        lc = body[0]
        if lc == 0 or len(body) not in (1 + lc, 2 + lc):
            raise ApduError(f"Lc {lc} does not match {len(body) - 1} body bytes")
        data = bytes(body[1 : 1 + lc])
        le = (body[1 + lc] or 256) if len(body) == 2 + lc else None
        return cls(cla, ins, p1, p2, data, le)


def exchange(transmit: Callable[[bytes], bytes], apdu: bytes) -> Response:
    """Send one command and apply the T=0 rules a reader must follow itself:
    61xx -> GET RESPONSE for xx bytes (repeated while the card says more is waiting),
    6Cxx -> resend the same command with Le = xx."""
    reply = Response.parse(transmit(apdu))
    if reply.sw1 == 0x6C:
        reply = Response.parse(transmit(apdu[:4] + _body_without_le(apdu) + bytes([reply.sw2])))
    data = reply.data
    for _ in range(MAX_CHAINED_RESPONSES):
        if reply.sw1 != 0x61:
            return Response(data, reply.sw)
        reply = Response.parse(transmit(get_response(reply.sw2)))
        data += reply.data
    raise ApduError("card kept answering 61xx")


def _body_without_le(apdu: bytes) -> bytes:
    body = apdu[4:]
    if len(body) <= 1:  # case 1 or case 2
        return b""
    return body[: 1 + body[0]]


# --- BER-TLV (EMV book 3 annex B) ---------------------------------------------------------


def _read_tag(data: bytes, i: int) -> tuple[int, int]:
    if i >= len(data):
        raise TlvError("truncated tag")
    start = i
    tag = data[i]
    i += 1
    if tag & 0x1F == 0x1F:
        while True:
            if i >= len(data):
                raise TlvError("truncated multi-byte tag")
            if i - start >= 4:
                raise TlvError("tag longer than 4 bytes")
            tag = (tag << 8) | data[i]
            i += 1
            if not data[i - 1] & 0x80:
                break
    return tag, i


def _read_length(data: bytes, i: int) -> tuple[int, int]:
    if i >= len(data):
        raise TlvError("missing length")
    first = data[i]
    i += 1
    if first < 0x80:
        return first, i
    count = first & 0x7F
    if count == 0 or count > 3 or i + count > len(data):
        raise TlvError(f"bad length form {first:#04x}")
    return int.from_bytes(data[i : i + count], "big"), i + count


def _is_constructed(tag: int) -> bool:
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Top-level (tag, value) pairs. 00 and FF between objects are padding (EMV allows it)."""
    i = 0
    while i < len(data):
        if data[i] in (0x00, 0xFF):
            i += 1
            continue
        tag, i = _read_tag(data, i)
        length, i = _read_length(data, i)
        if i + length > len(data):
            raise TlvError(f"tag {tag:X} claims {length} bytes, {len(data) - i} left")
        yield tag, bytes(data[i : i + length])
        i += length


def parse_tlv(data: bytes) -> list[tuple[int, bytes]]:
    return list(iter_tlv(data))


def _walk(data: bytes, wanted: int, first_only: bool) -> list[bytes]:
    """Values of `wanted` in depth-first order, without recursion (a card may nest 1,000
    deep); deeper than MAX_TLV_DEPTH is a TlvError. A match is not searched inside."""
    out: list[bytes] = []
    stack: list[tuple[Iterator[tuple[int, bytes]], int]] = [(iter_tlv(data), 0)]
    while stack:
        objects, depth = stack[-1]
        item = next(objects, None)
        if item is None:
            stack.pop()
            continue
        tag, value = item
        if tag == wanted:
            out.append(value)
            if first_only:
                return out
        elif _is_constructed(tag):
            if depth + 1 > MAX_TLV_DEPTH:
                raise TlvError(f"constructed objects nested deeper than {MAX_TLV_DEPTH}")
            stack.append((iter_tlv(value), depth + 1))
    return out


def find_tag(data: bytes, wanted: int) -> bytes | None:
    """First value of `wanted`, searching depth-first through constructed objects."""
    found = _walk(data, wanted, first_only=True)
    return found[0] if found else None


def find_all(data: bytes, wanted: int) -> list[bytes]:
    return _walk(data, wanted, first_only=False)


def tlv(tag: int, value: bytes) -> bytes:
    """Encode one object (used by the virtual cards)."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n <= 0xFF:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return tag_bytes + length + value


def parse_dol(dol: bytes) -> list[tuple[int, int]]:
    """A data object list (e.g. PDOL): (tag, length) pairs without values."""
    out = []
    i = 0
    while i < len(dol):
        tag, i = _read_tag(dol, i)
        length, i = _read_length(dol, i)
        out.append((tag, length))
    return out
