"""Reading the PAN and expiry of a bank card (PBOC 3.0 / EMV), nothing more.

Application selection: PSE "1PAY.SYS.DDF01" (directory records in the SFI of tag 88), else
PPSE "2PAY.SYS.DDF01" (directory in BF0C), else the known AID list. Then SELECT AID, GET
PROCESSING OPTIONS with the PDOL filled, and READ RECORD along the AFL until the PAN (5A, or
track-2 equivalent 57) and expiry (5F24) are found. No transaction, no cryptogram.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.devices.base import DeviceError
from kiosk.devices.smartcard import apdu
from kiosk.devices.smartcard.cards import PPSE_NAME, PSE_NAME, luhn_valid
from kiosk.privacy import mask_card_number

Transmit = Callable[[bytes], bytes]

# UnionPay debit, credit, quasi-credit, e-cash; then the big international schemes.
KNOWN_AIDS = tuple(
    bytes.fromhex(a)
    for a in (
        "A000000333010101",
        "A000000333010102",
        "A000000333010103",
        "A000000333010106",
        "A0000000031010",
        "A0000000041010",
    )
)
_ABSENT = {0x6A82, 0x6A81, 0x6D00, 0x6E00, 0x6283}
MAX_RECORDS = 16  # per SFI when reading the PSE directory
MAX_PDOL_DATA = 252  # 255 data bytes of a short APDU, less tag 83 and a 2-byte length


@dataclass(frozen=True, repr=False)
class BankCard:
    pan: str
    expiry: str  # "YYYY-MM", "" when the card does not say
    aid: str  # hex
    label: str = ""
    directory: str = ""  # "PSE", "PPSE" or "AID list": how the application was found
    pan_source: str = "5A"  # "5A" or "57" (track-2 equivalent)
    atr: str = ""

    @property
    def masked_pan(self) -> str:
        return mask_card_number(self.pan)

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        return {
            "type": "bank",
            "pan": self.pan if reveal else self.masked_pan,
            "expiry": self.expiry,
            "aid": self.aid,
            "label": self.label,
            "directory": self.directory,
            "pan_source": self.pan_source,
            "atr": self.atr,
            "masked": not reveal,
        }

    def __repr__(self) -> str:
        return f"BankCard(pan={self.masked_pan!r}, expiry={self.expiry!r}, aid={self.aid!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class _Candidate:
    aid: bytes
    label: str
    priority: int


def read_bank_card(transmit: Transmit, atr: bytes = b"") -> BankCard:
    """Raises DeviceError, apdu.ApduError or apdu.TlvError for a card that answers wrong
    (whatever it answers: fuzzed by `kiosk fuzz --target emv`), nothing else."""
    candidates, directory = _find_applications(transmit)
    if not candidates:
        raise DeviceError("unsupported_card", "no payment application (PSE, PPSE, AID list)")
    last_error: DeviceError | None = None
    for cand in sorted(candidates, key=lambda c: c.priority):
        reply = apdu.exchange(transmit, apdu.select_by_name(cand.aid, le=0))
        if reply.sw in _ABSENT:
            continue
        if not reply.ok:
            last_error = DeviceError("read_failed", f"SELECT AID answered {reply.sw:04X}")
            continue
        fci = _tlv_or_fail(reply.data, "FCI")
        label = cand.label or _decode_label(apdu.find_tag(fci, 0x50))
        aid = apdu.find_tag(fci, 0x84) or cand.aid
        pan, expiry, source = _read_pan(transmit, apdu.find_tag(fci, 0x9F38) or b"")
        return BankCard(
            pan=pan,
            expiry=expiry,
            aid=aid.hex().upper(),
            label=label,
            directory=directory,
            pan_source=source,
            atr=atr.hex().upper(),
        )
    raise last_error or DeviceError("unsupported_card", "listed payment applications absent")


def _find_applications(transmit: Transmit) -> tuple[list[_Candidate], str]:
    reply = apdu.exchange(transmit, apdu.select_by_name(PSE_NAME, le=0))
    if reply.ok:
        sfi = apdu.find_tag(_tlv_or_fail(reply.data, "PSE FCI"), 0x88)
        if sfi and not 1 <= sfi[0] <= 30:  # SFIs are 5 bits, 31 reserved
            raise DeviceError("read_failed", f"PSE names SFI {sfi[0]}, outside 1..30")
        if sfi:
            found = _read_directory(transmit, sfi[0])
            if found:
                return found, "PSE"
    reply = apdu.exchange(transmit, apdu.select_by_name(PPSE_NAME, le=0))
    if reply.ok:
        directory = apdu.find_tag(_tlv_or_fail(reply.data, "PPSE FCI"), 0xBF0C) or b""
        found = _entries(directory)
        if found:
            return found, "PPSE"
    found = [_Candidate(aid, "", i) for i, aid in enumerate(KNOWN_AIDS)]
    return found, "AID list"


def _read_directory(transmit: Transmit, sfi: int) -> list[_Candidate]:
    found: list[_Candidate] = []
    for number in range(1, MAX_RECORDS + 1):
        reply = apdu.exchange(transmit, apdu.read_record(number, (sfi << 3) | 0x04, 0))
        if reply.sw == apdu.SW_RECORD_NOT_FOUND:
            break
        if not reply.ok:
            raise DeviceError("read_failed", f"READ RECORD of PSE answered {reply.sw:04X}")
        found.extend(_entries(_tlv_or_fail(reply.data, "PSE record")))
    return found


def _entries(data: bytes) -> list[_Candidate]:
    out = []
    for entry in apdu.find_all(data, 0x61):
        aid = apdu.find_tag(entry, 0x4F)
        if not aid:
            continue
        prio = apdu.find_tag(entry, 0x87)
        out.append(
            _Candidate(
                aid, _decode_label(apdu.find_tag(entry, 0x50)), prio[0] & 0x0F if prio else 15
            )
        )
    return out


def _read_pan(transmit: Transmit, pdol: bytes) -> tuple[str, str, str]:
    gpo = apdu.command(0x80, 0xA8, 0x00, 0x00, apdu.tlv(0x83, _pdol_data(pdol)), le=0)
    reply = apdu.exchange(transmit, gpo)
    if not reply.ok:
        raise DeviceError("read_failed", f"GET PROCESSING OPTIONS answered {reply.sw:04X}")
    afl = _afl(reply.data)
    pan = expiry = source = ""
    for sfi, first, last in afl:
        for number in range(first, last + 1):
            rec = apdu.exchange(transmit, apdu.read_record(number, (sfi << 3) | 0x04, 0))
            if not rec.ok:
                raise DeviceError(
                    "read_failed", f"READ RECORD {sfi}/{number} answered {rec.sw:04X}"
                )
            data = _tlv_or_fail(rec.data, "record")
            if not pan and (value := apdu.find_tag(data, 0x5A)):
                pan, source = value.hex().upper().rstrip("F"), "5A"
            if not expiry and (value := apdu.find_tag(data, 0x5F24)):
                expiry = _expiry(value.hex())
            if value := apdu.find_tag(data, 0x57):
                t2_pan, _, rest = value.hex().upper().partition("D")
                if not pan:
                    pan, source = t2_pan, "57"
                if not expiry and len(rest) >= 4:
                    expiry = _expiry(rest[:4])
            if pan and expiry:
                break
        if pan and expiry:
            break
    if not pan:
        raise DeviceError("read_failed", "card records hold no PAN")
    if not luhn_valid(pan):
        raise DeviceError("read_failed", "PAN read from the card fails its check digit")
    return pan, expiry, source


def _afl(data: bytes) -> list[tuple[int, int, int]]:
    objects = dict(apdu.parse_tlv(_tlv_or_fail(data, "GPO reply")))
    # format 1: tag 80 = AIP (2 bytes) + AFL; format 2: template 77 with AFL in tag 94
    raw = objects[0x80][2:] if 0x80 in objects else apdu.find_tag(data, 0x94) or b""
    if not raw or len(raw) % 4:
        raise DeviceError("read_failed", "GPO reply has no usable AFL")
    entries = []
    for i in range(0, len(raw), 4):
        sfi, first, last = raw[i] >> 3, raw[i + 1], raw[i + 2]
        if not 1 <= sfi <= 30 or first == 0 or last < first:
            raise DeviceError("read_failed", "GPO reply has a malformed AFL")
        entries.append((sfi, first, last))
    return entries


def _pdol_data(pdol: bytes) -> bytes:
    """Terminal data the card asks for in its PDOL; unknown tags get zeros of that length."""
    today = dt.date.today()
    known = {
        0x9F66: bytes.fromhex("26000000"),  # TTQ: contact EMV, online capable
        0x9F1A: bytes.fromhex("0156"),  # terminal country: China
        0x5F2A: bytes.fromhex("0156"),  # currency: CNY
        0x9A: bytes.fromhex(today.strftime("%y%m%d")),
        0x9F37: os.urandom(4),  # unpredictable number
    }
    try:
        dol = apdu.parse_dol(pdol)
    except apdu.TlvError:
        raise DeviceError("read_failed", "card's PDOL is malformed") from None
    # The answer goes in one short APDU (tag 83 + length + data <= 255 bytes): a PDOL asking
    # for more is refused before anything is built (a crafted one asked for gigabytes).
    if sum(length for _, length in dol) > MAX_PDOL_DATA:
        raise DeviceError("read_failed", "card's PDOL asks for more data than a command holds")
    out = b""
    for tag, length in dol:
        value = known.get(tag, b"")
        out += value[:length].ljust(length, b"\x00")
    return out


def _expiry(digits: str) -> str:
    if len(digits) < 4 or not digits[:4].isdigit():
        return ""
    return f"20{digits[:2]}-{digits[2:4]}"


def _decode_label(value: bytes | None) -> str:
    return value.decode("ascii", "replace").strip() if value else ""


def _tlv_or_fail(data: bytes, what: str) -> bytes:
    try:
        apdu.parse_tlv(data)
    except apdu.TlvError as exc:
        raise DeviceError("read_failed", f"{what} is not valid TLV ({exc})") from None
    return data
