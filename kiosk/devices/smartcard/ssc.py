"""Reading a social security card (社会保障卡): the SSSE application, files EF05 and EF06.

Command sequence as two independent reader codebases use it (see the reference notes):
SELECT by name "sx1.sh.社会保障" (GBK), SELECT EF05, READ RECORD 07 (card number, plus 05/06
issue and expiry dates), SELECT EF06, READ RECORD 08 (ID number), 09 (name, GBK),
0A (sex), 0B (nation), 0D (birth date). Each record answers `TAG LEN VALUE 90 00`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.devices.base import DeviceError
from kiosk.devices.smartcard import apdu
from kiosk.devices.smartcard.cards import SSSE_NAME
from kiosk.privacy import mask_card_number, mask_id_number, mask_name

Transmit = Callable[[bytes], bytes]

# A card answering one of these to the application SELECT simply is not a social
# security card (or its SSSE application is absent/blocked).
_NOT_THIS_APP = {0x6A82, 0x6A81, 0x6A86, 0x6D00, 0x6E00, 0x6283}

SEX_LABELS = {"0": "unknown", "1": "male", "2": "female", "9": "unspecified"}


@dataclass(frozen=True, repr=False)
class SocialSecurityCard:
    """What was read. `repr`/`str` show masked values only; use the fields deliberately."""

    card_number: str
    name: str
    id_number: str
    sex: str = ""  # GB/T 2261.1 code: "1" male, "2" female
    nation: str = ""  # GB 3304 two-digit code, "01" = Han
    birth_date: str = ""  # ISO date
    issue_date: str = ""
    expiry_date: str = ""
    atr: str = ""  # hex

    @property
    def masked_card_number(self) -> str:
        return mask_card_number(self.card_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_birth_date(self) -> str:
        return f"{self.birth_date[:4]}-**-**" if self.birth_date else ""

    @property
    def sex_label(self) -> str:
        return SEX_LABELS.get(self.sex, "")

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        return {
            "type": "social_security",
            "card_number": self.card_number if reveal else self.masked_card_number,
            "name": self.name if reveal else self.masked_name,
            "id_number": self.id_number if reveal else self.masked_id_number,
            "sex": self.sex,
            "nation": self.nation,
            "birth_date": self.birth_date if reveal else self.masked_birth_date,
            "issue_date": self.issue_date,
            "expiry_date": self.expiry_date,
            "atr": self.atr,
            "masked": not reveal,
        }

    def __repr__(self) -> str:
        return (
            f"SocialSecurityCard(card_number={self.masked_card_number!r}, "
            f"name={self.masked_name!r}, id_number={self.masked_id_number!r})"
        )

    __str__ = __repr__


def read_social_security(transmit: Transmit, atr: bytes = b"") -> SocialSecurityCard:
    """Run the SSSE read over `transmit` (raw C-APDU -> R-APDU). Raises DeviceError with
    "unsupported_card" or "read_failed"; transport errors propagate as the caller raised them."""
    reply = apdu.exchange(transmit, apdu.select_by_name(SSSE_NAME))
    if reply.sw in _NOT_THIS_APP:
        raise DeviceError(
            "unsupported_card",
            f"not a social security card (SELECT SSSE answered {reply.sw:04X})",
        )
    _expect(reply, "SELECT SSSE")

    _select_ef(transmit, 0xEF05)
    card_number = _text(_record(transmit, 0x07, 9, required=True), "card number")
    issue = _bcd_date(_record(transmit, 0x05, 4))
    expiry = _bcd_date(_record(transmit, 0x06, 4))

    _select_ef(transmit, 0xEF06)
    id_number = _text(_record(transmit, 0x08, 18, required=True), "ID number").upper()
    name = _gbk(_record(transmit, 0x09, 30, required=True))
    sex = _sex(_record(transmit, 0x0A, 1))
    nation_raw = _record(transmit, 0x0B, 1)
    birth = _bcd_date(_record(transmit, 0x0D, 4))
    if not card_number or not id_number or not name:
        raise DeviceError("read_failed", "card returned empty holder fields")
    return SocialSecurityCard(
        card_number=card_number,
        name=name,
        id_number=id_number,
        sex=sex,
        nation=f"{nation_raw[0]:02d}" if nation_raw else "",
        birth_date=birth,
        issue_date=issue,
        expiry_date=expiry,
        atr=atr.hex().upper(),
    )


def _expect(reply: apdu.Response, what: str) -> None:
    if not reply.ok:
        raise DeviceError("read_failed", f"{what} answered {reply.sw:04X}")


def _select_ef(transmit: Transmit, fid: int) -> None:
    _expect(apdu.exchange(transmit, apdu.select_file(fid)), f"SELECT {fid:04X}")


def _record(transmit: Transmit, record_id: int, size: int, *, required: bool = False) -> bytes:
    """READ RECORD by identifier with Le = TAG + LEN + field size; returns the VALUE."""
    reply = apdu.exchange(transmit, apdu.read_record(record_id, 0x00, size + 2))
    if reply.sw == apdu.SW_RECORD_NOT_FOUND and not required:
        return b""
    _expect(reply, f"READ RECORD {record_id:02X}")
    data = reply.data
    if len(data) < 2 or data[0] != record_id or len(data) < 2 + data[1]:
        raise DeviceError("read_failed", f"record {record_id:02X} is malformed ({len(data)} bytes)")
    return data[2 : 2 + data[1]]


def _strip(value: bytes) -> bytes:
    return value.strip(b"\x00\xff ")


def _text(value: bytes, what: str) -> str:
    try:
        return _strip(value).decode("ascii")
    except UnicodeDecodeError:
        raise DeviceError("read_failed", f"{what} is not ASCII text") from None


def _gbk(value: bytes) -> str:
    try:
        return _strip(value).decode("gbk").strip()
    except UnicodeDecodeError:
        raise DeviceError("read_failed", "name is not GBK text") from None


def _sex(value: bytes) -> str:
    if not value:
        return ""
    b = value[0]
    return chr(b) if 0x30 <= b <= 0x39 else str(b)  # ASCII digit or a binary code


def _bcd_date(value: bytes) -> str:
    digits = value.hex()
    if len(digits) != 8 or not digits.isdigit():
        return ""
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
