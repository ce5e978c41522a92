"""Decode a captured byte stream (one or several frames) into JSON for a technician.

Used by `kiosk idcard decode`; personal fields are masked unless `reveal` is asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kiosk.devices.idcard import frames as fr
from kiosk.devices.idcard.card import IdCard, mask_address
from kiosk.devices.idcard.card_text import CardDataError
from kiosk.devices.idcard.commands import (
    decode_ucs2,
    format_sam_id,
    identify_command,
    parse_read_payload,
)

_HEX_NOISE = re.compile(r"0[xX](?=[0-9A-Fa-f])|[\s:,;\-]")


class HexError(ValueError):
    pass


def parse_hex(text: str) -> bytes:
    """Hex text, with whitespace, colons, commas, dashes, 0x prefixes and # comments
    tolerated."""
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    digits = _HEX_NOISE.sub("", text)
    bad = re.search(r"[^0-9A-Fa-f]", digits)
    if bad:
        raise HexError(f"not hex: {bad.group()!r} (character {bad.start() + 1} of the digits)")
    if not digits:
        raise HexError("no hex digits given")
    if len(digits) % 2:
        raise HexError(f"odd number of hex digits ({len(digits)}): a byte is missing a digit")
    return bytes.fromhex(digits)


@dataclass
class Decoded:
    frames: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.frames) and not self.errors

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"frames": self.frames}
        if self.warnings:
            data["warnings"] = self.warnings
        if self.errors:
            data["errors"] = self.errors
        return data


def decode_bytes(data: bytes, reveal: bool = False) -> Decoded:
    result = Decoded()
    deframer = fr.Deframer()
    deframer.feed(data)
    last_command: str | None = None
    offset = 0  # byte offset of the next frame in the capture, for messages
    while True:
        skipped_before = deframer.skipped
        try:
            frame = deframer.next_frame()
        except fr.FrameError as exc:
            result.errors.append({"error": exc.code, "message": str(exc)})
            continue
        if frame is None:
            trailing = deframer.skipped - skipped_before
            break
        garbage = deframer.skipped - skipped_before
        if garbage:
            result.warnings.append(f"{garbage} bytes before frame {len(result.frames) + 1} skipped")
        offset += garbage
        entry: dict[str, Any] = {"offset": offset, "length": frame.length}
        offset += len(frame.raw)
        if frame.is_command:
            name = identify_command(frame)
            entry.update(
                direction="host_to_sam",
                command=name or "unknown",
                cmd=f"{frame.body[0]:02X}",
                para=f"{frame.body[1]:02X}",
            )
            last_command = name
        else:
            entry["direction"] = "sam_to_host"
            entry.update(_describe_reply(fr.Reply.from_frame(frame), last_command, reveal))
            last_command = None
        result.frames.append(entry)
    rest = deframer.take_rest()
    if rest.startswith(fr.PREAMBLE) or (rest and not result.frames):
        have = len(rest)
        need = fr.HEADER_LEN + int.from_bytes(rest[5:7], "big") if have >= fr.HEADER_LEN else None
        wanted = f"{need}" if need else "at least 7"
        result.errors.append(
            {"error": "short_frame", "message": f"frame cut short: {have} of {wanted} bytes"}
        )
    elif rest or (trailing and result.frames):
        result.warnings.append(f"{len(rest) + trailing} trailing bytes ignored")
    if not result.frames and not result.errors:
        result.errors.append(
            {
                "error": "no_frame",
                "message": f"no frame in {len(data)} bytes (a frame starts AA AA AA 96 69)",
            }
        )
    return result


def _describe_reply(reply: fr.Reply, after: str | None, reveal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"status": fr.sw3_json(reply)}
    data = reply.data
    kind = after
    if kind is None:
        kind = _guess_kind(reply)
    if kind:
        out["reply_to"] = kind
    out["data_len"] = len(data)
    if not reply.ok or not data:
        return out
    if kind in ("read", "read_with_fingerprints"):
        try:
            payload = parse_read_payload(data, kind == "read_with_fingerprints")
            card = IdCard.from_payload(payload)
        except (fr.LengthError, CardDataError) as exc:
            out["card_error"] = str(exc)
            return out
        fields = card.to_dict(reveal=reveal)
        out["card_type"] = fields.pop("card_type")
        out["card_type_name"] = fields.pop("card_type_name")
        out["id_number_valid"] = fields.pop("id_number_valid")
        out["photo_len"] = fields.pop("photo_len")
        out["photo_format"] = fields.pop("photo_format")
        out["fingerprint_count"] = fields.pop("fingerprint_count")
        out["fields"] = fields
        out["masked"] = not reveal
        card.wipe()
    elif kind == "sam_id" and len(data) >= 16:
        out["sam_id"] = format_sam_id(data)
    elif kind == "read_appended_address":
        address = decode_ucs2(data)
        out["appended_address"] = address if reveal else mask_address(address)
    elif kind in ("find", "select"):
        out["card_serial"] = data.hex().upper()
    return out


def _guess_kind(reply: fr.Reply) -> str | None:
    """The command a reply answers, judged by its shape alone."""
    if reply.sw3 == fr.FIND_OK:
        return "find"
    if not reply.ok:
        return None
    if len(reply.data) == 8:
        return "select"
    if len(reply.data) == 16:
        return "sam_id"
    try:
        payload = parse_read_payload(reply.data)
    except fr.LengthError:
        return None
    return "read_with_fingerprints" if payload.with_fingerprints else "read"
