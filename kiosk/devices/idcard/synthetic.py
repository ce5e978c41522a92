"""Synthetic cards for the emulator, tests and demos. Every person here is invented.

Names are 测试一, 测试二 …; ID numbers carry a valid GB 11643 check digit; the photo is
fake WLT bytes (the real 11-byte header, then filler) and fingerprints are filler.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kiosk import idnumber as gb11643
from kiosk.devices.idcard.card_text import CardType, build_text
from kiosk.devices.idcard.commands import build_read_payload

WLT_HEADER = bytes.fromhex("574C66007E003200 00FF85".replace(" ", ""))
PHOTO_LEN = 1024
FINGERPRINT_LEN = 512


@dataclass
class SamCard:
    """A card as the SAM sees it: the raw text block and binary parts."""

    text: bytes
    photo: bytes
    fingerprints: list[bytes] = field(default_factory=list)
    appended_address: str | None = None  # None: the card has none (SW3 91)
    label: str = "card"

    def read_data(self, with_fingerprints: bool) -> bytes:
        prints = b"".join(self.fingerprints) if with_fingerprints else None
        return build_read_payload(self.text, self.photo, prints)

    def address_data(self) -> bytes:
        return (self.appended_address or "").encode("utf-16-le")


def fake_wlt(seed: int = 0) -> bytes:
    rng = random.Random(seed)
    return WLT_HEADER + bytes(rng.randrange(256) for _ in range(PHOTO_LEN - len(WLT_HEADER)))


def fake_fingerprint(seed: int) -> bytes:
    rng = random.Random(1000 + seed)
    # 0x43 'C' opens the templates in published dumps; the rest is filler.
    return b"C" + bytes(rng.randrange(256) for _ in range(FINGERPRINT_LEN - 1))


def resident_number(region: str, birth: str, seq: int) -> str:
    return gb11643.with_check_digit(f"{region}{birth}{seq:03d}")


DEMO_FIELDS: dict[CardType, dict[str, str]] = {
    CardType.RESIDENT: {
        "name": "测试一",
        "sex_code": "1",
        "nation_code": "01",
        "birth_date": "19900101",
        "address": "北京市东城区测试路1号院2号楼301室",
        "id_number": resident_number("110101", "19900101", 901),
        "authority": "北京市公安局东城分局",
        "valid_from": "20200101",
        "valid_to": "20400101",
    },
    CardType.PERMIT: {
        "name": "测试二",
        "sex_code": "2",
        "birth_date": "19851212",
        "address": "广东省深圳市福田区测试大道88号",
        "id_number": resident_number("810000", "19851212", 902),
        "authority": "深圳市公安局",
        "valid_from": "20210601",
        "valid_to": "20260601",
        "pass_number": "H90000001",
        "issue_count": "01",
    },
    CardType.FOREIGN_2017: {
        "name_en": "TESTER, ALPHA",
        "sex_code": "1",
        "id_number": "ZZZ110080101901",
        "nationality": "ZZZ",
        "name": "测试三",
        "valid_from": "20180301",
        "valid_to": "20280301",
        "birth_date": "19800101",
        "card_version": "01",
        "authority_code": "1100",
    },
    CardType.FOREIGN_2023: {
        "name": "测试四",
        "sex_code": "2",
        "renewal_count": "00",
        "birth_date": "19920202",
        "name_en": "TESTER, BETA GAMMA DELTA EPSILON ZETA ETA",
        "id_number": gb11643.with_check_digit("91199919920202903"),
        "valid_from": "20240101",
        "valid_to": "20340101",
        "nationality": "ZZZ",
    },
}

_SEEDS = {
    CardType.RESIDENT: 1,
    CardType.PERMIT: 2,
    CardType.FOREIGN_2017: 3,
    CardType.FOREIGN_2023: 4,
}


def demo_card(
    card_type: CardType | str = CardType.RESIDENT,
    *,
    fingerprints: int = 0,
    appended_address: str | None = None,
    **overrides: str,
) -> SamCard:
    """A synthetic card of the given type; `overrides` replace text fields (e.g. id_number
    with a bad check digit)."""
    card_type = CardType(card_type)
    fields = {**DEMO_FIELDS[card_type], **overrides}
    seed = _SEEDS.get(card_type, 9)
    return SamCard(
        text=build_text(card_type, fields),
        photo=fake_wlt(seed),
        fingerprints=[fake_fingerprint(seed * 10 + i) for i in range(fingerprints)],
        appended_address=appended_address,
        label=str(card_type),
    )


def random_card(rng: random.Random) -> SamCard:
    """A resident card with random invented fields, for soak tests and benchmarks."""
    given = "".join(rng.choice("一二三四五六七八九十甲乙丙丁") for _ in range(rng.randint(1, 3)))
    birth = f"{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    fields = {
        **DEMO_FIELDS[CardType.RESIDENT],
        "name": "测试" + given,
        "sex_code": rng.choice("12"),
        "nation_code": f"{rng.randint(1, 56):02d}",
        "birth_date": birth,
        "id_number": resident_number("110101", birth, rng.randint(900, 999)),
    }
    return SamCard(build_text(CardType.RESIDENT, fields), fake_wlt(rng.randrange(1 << 30)))
