"""What a card read gives the app: fields, opaque photo and fingerprints, masked views.

`repr()`/`str()` never show personal data in clear; `masked()` is the view for screen and
paper; `to_dict(reveal=True)` is for filling forms (never for logs). `wipe()` drops the
data when the resident walks away: strings are replaced (Python cannot scrub immutable
strings, so the app must also drop its own references) and the photo and fingerprint
buffers, which are bytearrays, are zeroed in place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any

from kiosk import idnumber as gb11643
from kiosk.devices.idcard.card_text import CARD_TYPE_NAMES, CardType, parse_text
from kiosk.devices.idcard.commands import ReadPayload
from kiosk.devices.idcard.nations import nation_name, sex_name
from kiosk.privacy import mask_card_number, mask_id_number, mask_name

# Text fields that identify the holder: masked in every view except reveal.
PERSONAL = frozenset(
    {
        "name",
        "name_en",
        "birth_date",
        "address",
        "appended_address",
        "id_number",
        "pass_number",
        "previous_card_link",
    }
)


def mask_address(value: str) -> str:
    """Keep the first 6 characters (province/city), hide the rest."""
    value = value.strip()
    return value if len(value) <= 6 else value[:6] + "*" * min(len(value) - 6, 8)


def mask_date(value: str) -> str:
    """'19900101' -> '1990****': the year is enough for a resident to recognise it."""
    value = value.strip()
    return value[:4] + "*" * (len(value) - 4) if len(value) > 4 else "*" * len(value)


_MASKERS = {
    "name": mask_name,
    "name_en": mask_name,
    "birth_date": mask_date,
    "address": mask_address,
    "appended_address": mask_address,
    "id_number": mask_id_number,
    "pass_number": mask_card_number,
    "previous_card_link": lambda v: "*" * len(v),
}


@dataclass(eq=False, repr=False)
class IdCard:
    card_type: CardType
    name: str = ""  # Chinese name (may be empty on a 2017 foreign card)
    name_en: str = ""  # foreign cards
    sex_code: str = ""
    nation_code: str = ""  # resident card and residence permit
    nationality: str = ""  # foreign cards: GB/T 2659 alpha-3
    birth_date: str = ""  # YYYYMMDD
    address: str = ""
    appended_address: str = ""  # 追加住址 (30 03), empty when the card has none
    id_number: str = ""  # card number for every type
    authority: str = ""  # issuing authority
    authority_code: str = ""  # 2017 foreign card: issuing office code
    valid_from: str = ""
    valid_to: str = ""  # YYYYMMDD or 长期
    pass_number: str = ""  # residence permit: HK/Macau/Taiwan travel permit number
    issue_count: str = ""  # residence permit: times issued
    renewal_count: str = ""  # 2023 foreign card
    card_version: str = ""  # 2017 foreign card
    previous_card_link: str = ""  # 2023 foreign card
    type_flag: str = ""  # only for CardType.UNKNOWN
    photo: bytearray = field(default_factory=bytearray)  # WLT, opaque (needs a licensed decoder)
    fingerprints: list[bytearray] = field(default_factory=list)  # opaque templates
    read_at: float = field(default_factory=time.time)

    @classmethod
    def from_payload(cls, payload: ReadPayload, appended_address: str = "") -> IdCard:
        card_type, values = parse_text(payload.text)
        card = cls(
            card_type=card_type,
            appended_address=appended_address,
            photo=bytearray(payload.photo),
            fingerprints=[bytearray(t) for t in payload.fingerprint_templates],
        )
        for name, value in values.items():  # the text block's fields, all strings
            if not isinstance(getattr(card, name, None), str):
                raise TypeError(f"IdCard has no text field {name!r}")
            setattr(card, name, value)
        return card

    # Derived, not personal -------------------------------------------------------------
    @property
    def sex(self) -> str:
        return sex_name(self.sex_code) if self.sex_code else ""

    @property
    def nation(self) -> str:
        return nation_name(self.nation_code) if self.nation_code else ""

    @property
    def type_name(self) -> str:
        return CARD_TYPE_NAMES[self.card_type][1]

    @property
    def id_number_valid(self) -> bool | None:
        """MOD 11-2 check of the number; None where the number has no such check digit
        (the 15-character 2017 foreign card number)."""
        if self.card_type is CardType.FOREIGN_2017 or not self.id_number:
            return None
        return gb11643.is_valid(self.id_number)

    # Views -----------------------------------------------------------------------------
    def to_dict(self, reveal: bool = False) -> dict[str, Any]:
        """Text fields (masked unless reveal), derived labels, photo/fingerprint sizes."""
        data: dict[str, Any] = {
            "card_type": str(self.card_type),
            "card_type_name": self.type_name,
        }
        for f in fields(self):
            if f.name in ("card_type", "photo", "fingerprints", "read_at"):
                continue
            value = getattr(self, f.name)
            if not value:
                continue
            if f.name in PERSONAL and not reveal:
                value = _MASKERS[f.name](value)
            data[f.name] = value
        if self.sex_code:
            data["sex"] = self.sex
        if self.nation_code:
            data["nation"] = self.nation
        data["id_number_valid"] = self.id_number_valid
        data["photo_len"] = len(self.photo)
        data["photo_format"] = "WLT" if self.photo[:3] == b"WLf" else "unknown"
        data["fingerprint_count"] = len(self.fingerprints)
        return data

    def masked(self) -> dict[str, Any]:
        """The view for screen and paper."""
        return self.to_dict(reveal=False)

    def wipe(self) -> None:
        """Forget everything: zero the binary buffers, blank the strings."""
        for buf in (self.photo, *self.fingerprints):
            buf[:] = bytes(len(buf))
        self.photo = bytearray()
        self.fingerprints = []
        for f in fields(self):
            if isinstance(getattr(self, f.name), str):
                setattr(self, f.name, "")
        self.card_type = CardType.UNKNOWN

    def __repr__(self) -> str:
        return (
            f"IdCard(type={self.card_type}, name={mask_name(self.name or self.name_en)!r}, "
            f"id_number={mask_id_number(self.id_number)!r}, "
            f"id_number_valid={self.id_number_valid}, photo={len(self.photo)} bytes, "
            f"fingerprints={len(self.fingerprints)})"
        )

    __str__ = __repr__

    def __getstate__(self) -> None:
        # Personal data must not leak through pickling (e.g. into a crash dump or a queue).
        raise TypeError("IdCard is not picklable: take to_dict(reveal=True) deliberately")
