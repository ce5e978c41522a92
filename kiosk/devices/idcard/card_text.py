"""The 256-byte UCS-2LE text block (GA 490) for every card type the SAM reads.

One table per layout drives both the parser and the builder (synthetic cards), so the
two cannot drift apart. The type flag sits at byte offset 248 (UCS-2 character 124).
"""

from __future__ import annotations

import enum

from kiosk.devices.idcard.commands import decode_ucs2

TEXT_LEN = 256
FLAG_OFFSET = 248


class CardDataError(Exception):
    code = "bad_card_data"


class CardType(enum.StrEnum):
    RESIDENT = "resident"  # 居民身份证
    PERMIT = "hk_mo_tw_permit"  # 港澳台居民居住证, flag "J"
    FOREIGN_2017 = "foreign_2017"  # 外国人永久居留身份证 (2017), flag "I"
    FOREIGN_2023 = "foreign_2023"  # 外国人永久居留身份证 (2023), flag "Y"
    UNKNOWN = "unknown"  # a flag this terminal does not know; read with the resident layout


CARD_TYPE_NAMES = {
    CardType.RESIDENT: ("resident ID card", "居民身份证"),
    CardType.PERMIT: ("HK/Macau/Taiwan residence permit", "港澳台居民居住证"),
    CardType.FOREIGN_2017: ("foreign permanent resident ID card (2017)", "外国人永久居留身份证"),
    CardType.FOREIGN_2023: ("foreign permanent resident ID card (2023)", "外国人永久居留身份证"),
    CardType.UNKNOWN: ("unknown card type", "未知证件类型"),
}

FLAGS = {"J": CardType.PERMIT, "I": CardType.FOREIGN_2017, "Y": CardType.FOREIGN_2023}
FLAG_OF = {card_type: flag for flag, card_type in FLAGS.items()}

Layout = list[tuple[str, int, int]]  # (field, byte offset, byte length)

_RESIDENT: Layout = [
    ("name", 0, 30),
    ("sex_code", 30, 2),
    ("nation_code", 32, 4),
    ("birth_date", 36, 16),
    ("address", 52, 70),
    ("id_number", 122, 36),
    ("authority", 158, 30),
    ("valid_from", 188, 16),
    ("valid_to", 204, 16),
]

LAYOUTS: dict[CardType, Layout] = {
    CardType.RESIDENT: _RESIDENT,
    CardType.UNKNOWN: _RESIDENT,
    CardType.PERMIT: [*_RESIDENT, ("pass_number", 220, 18), ("issue_count", 238, 4)],
    CardType.FOREIGN_2017: [
        ("name_en", 0, 120),
        ("sex_code", 120, 2),
        ("id_number", 122, 30),
        ("nationality", 152, 6),
        ("name", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("birth_date", 220, 16),
        ("card_version", 236, 4),
        ("authority_code", 240, 8),
    ],
    CardType.FOREIGN_2023: [
        ("name", 0, 30),
        ("sex_code", 30, 2),
        ("renewal_count", 32, 4),
        ("birth_date", 36, 16),
        ("name_en_1", 52, 70),
        ("id_number", 122, 36),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("name_en_2", 220, 22),
        ("nationality", 242, 6),
        ("previous_card_link", 250, 6),
    ],
}


def card_type_of(text: bytes) -> tuple[CardType, str]:
    """The card type and the raw flag character at offset 248."""
    flag = text[FLAG_OFFSET : FLAG_OFFSET + 2].decode("utf-16-le", errors="replace")
    if flag in FLAGS:
        return FLAGS[flag], flag
    if flag in (" ", "\x00"):
        return CardType.RESIDENT, ""
    return CardType.UNKNOWN, flag


def parse_text(text: bytes) -> tuple[CardType, dict[str, str]]:
    """Fields of a 256-byte text block, stripped of padding. Never raises on content."""
    if len(text) != TEXT_LEN:
        raise CardDataError(f"card text must be {TEXT_LEN} bytes, got {len(text)}")
    card_type, flag = card_type_of(text)
    fields: dict[str, str] = {}
    for name, offset, length in LAYOUTS[card_type]:
        if name.startswith("name_en_"):
            continue
        fields[name] = decode_ucs2(text[offset : offset + length])
    if card_type is CardType.FOREIGN_2023:
        # The English name runs on from part 1 into part 2: join before stripping.
        part1 = text[52:122].decode("utf-16-le", errors="replace")
        part2 = text[220:242].decode("utf-16-le", errors="replace")
        fields["name_en"] = " ".join((part1 + part2).replace("\x00", " ").split())
    if card_type is CardType.UNKNOWN:
        fields["type_flag"] = flag
    return card_type, fields


def build_text(card_type: CardType, fields: dict[str, str]) -> bytes:
    """A 256-byte text block for synthetic cards; too-long values are an error."""
    fields = dict(fields)
    if card_type is CardType.FOREIGN_2023:
        name_en = fields.pop("name_en", "")
        fields["name_en_1"], fields["name_en_2"] = name_en[:35], name_en[35:]
    block = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    known = {name for name, _, _ in LAYOUTS[card_type]}
    unknown = set(fields) - known
    if unknown:
        raise CardDataError(f"{card_type}: no place for {sorted(unknown)}")
    for name, offset, length in LAYOUTS[card_type]:
        value = fields.get(name, "").encode("utf-16-le")
        if len(value) > length:
            raise CardDataError(f"{name} is {len(value) // 2} chars, room for {length // 2}")
        block[offset : offset + len(value)] = value
    if card_type in FLAG_OF:
        block[FLAG_OFFSET : FLAG_OFFSET + 2] = FLAG_OF[card_type].encode("utf-16-le")
    return bytes(block)
