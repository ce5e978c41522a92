"""GA 490 text layouts, GB 11643 check digit, code tables, and the masked card object."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk import idnumber as gb11643
from kiosk.devices.idcard.card import IdCard
from kiosk.devices.idcard.card_text import (
    LAYOUTS,
    CardDataError,
    CardType,
    build_text,
    parse_text,
)
from kiosk.devices.idcard.commands import parse_read_payload
from kiosk.devices.idcard.nations import NATIONS, nation_name, sex_name
from kiosk.devices.idcard.synthetic import DEMO_FIELDS, WLT_HEADER, demo_card

CARD_TYPES = [CardType.RESIDENT, CardType.PERMIT, CardType.FOREIGN_2017, CardType.FOREIGN_2023]


def card_of(sam_card, fingerprints: bool = False) -> IdCard:
    return IdCard.from_payload(parse_read_payload(sam_card.read_data(fingerprints), fingerprints))


def test_gb11643_standard_example_and_a_wrong_digit() -> None:
    assert gb11643.is_valid("11010519491231002X")  # the standard's own example
    assert gb11643.is_valid("11010519491231002x")
    assert not gb11643.is_valid("110105194912310021")
    assert not gb11643.is_valid("11010519491231002")  # 17 characters
    assert not gb11643.is_valid("1101051949123100２X")  # full-width digit
    assert gb11643.check_digit("11010519491231002") == "X"


@given(st.text("0123456789", min_size=17, max_size=17))
def test_gb11643_exactly_one_check_character_fits(first17: str) -> None:
    fits = [c for c in "0123456789X" if gb11643.is_valid(first17 + c)]
    assert fits == [gb11643.check_digit(first17)]


@pytest.mark.parametrize("card_type", CARD_TYPES, ids=str)
def test_each_card_type_parses_to_its_fields(card_type: CardType) -> None:
    card = card_of(demo_card(card_type))
    assert card.card_type is card_type
    for name, value in DEMO_FIELDS[card_type].items():
        assert getattr(card, name) == value, name
    assert bytes(card.photo[:11]) == WLT_HEADER and len(card.photo) == 1024
    assert card.id_number_valid is (None if card_type is CardType.FOREIGN_2017 else True)


def test_resident_labels() -> None:
    card = card_of(demo_card("resident"))
    assert (card.sex, card.nation, card.type_name) == ("男", "汉", "居民身份证")
    assert card_of(demo_card("hk_mo_tw_permit")).type_name == "港澳台居民居住证"


def test_type_flag_at_offset_248() -> None:
    for card_type, flag in [(CardType.PERMIT, "J"), (CardType.FOREIGN_2017, "I"),
                            (CardType.FOREIGN_2023, "Y")]:  # fmt: skip
        assert demo_card(card_type).text[248:250] == flag.encode("utf-16-le")
    assert demo_card("resident").text[248:250] == b" \x00"


def test_unknown_flag_is_read_with_the_resident_layout_and_named() -> None:
    text = bytearray(demo_card("resident").text)
    text[248:250] = "Q".encode("utf-16-le")
    card_type, fields = parse_text(bytes(text))
    assert card_type is CardType.UNKNOWN and fields["type_flag"] == "Q"
    assert fields["name"] == "测试一"


def test_bad_check_digit_is_flagged_not_fatal() -> None:
    card = card_of(demo_card("resident", id_number="110101199001019010"))
    assert card.id_number_valid is False
    assert card.masked()["id_number_valid"] is False


def test_fingerprints_are_opaque_templates() -> None:
    card = card_of(demo_card("resident", fingerprints=2), fingerprints=True)
    assert [len(t) for t in card.fingerprints] == [512, 512]
    assert card.masked()["fingerprint_count"] == 2


def test_repr_and_masked_view_hide_personal_data() -> None:
    card = card_of(demo_card("resident"))
    clear = DEMO_FIELDS[CardType.RESIDENT]
    for text in (repr(card), str(card), f"{card}", str(card.masked())):
        for key in ("name", "id_number", "address", "birth_date"):
            assert clear[key] not in text, key
    masked = card.masked()
    assert masked["name"] == "测*一"
    assert masked["id_number"] == clear["id_number"][:4] + "*" * 10 + clear["id_number"][-4:]
    assert masked["birth_date"] == "1990****"
    assert masked["sex"] == "男" and masked["valid_to"] == "20400101"
    assert card.to_dict(reveal=True)["address"] == clear["address"]


def test_foreign_names_are_masked_in_both_scripts() -> None:
    masked = card_of(demo_card("foreign_2023")).masked()
    assert masked["name"] == "测*四"
    assert masked["name_en"].startswith("T****** B***")


def test_wipe_zeroes_the_photo_and_blanks_the_fields() -> None:
    card = card_of(demo_card("resident", fingerprints=1), fingerprints=True)
    photo, template = card.photo, card.fingerprints[0]
    card.wipe()
    assert photo == bytearray(1024) and template == bytearray(512)
    assert card.name == card.id_number == card.address == ""
    assert card.photo == bytearray() and card.fingerprints == []
    assert card.masked()["photo_len"] == 0


def test_card_cannot_be_pickled_or_copied_by_accident() -> None:
    card = card_of(demo_card("resident"))
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(card)
    with pytest.raises(TypeError):
        copy.deepcopy(card)


def test_code_tables() -> None:
    assert len([c for c in NATIONS if int(c) <= 56]) == 56
    assert nation_name("01") == "汉" and nation_name("56") == "基诺" and nation_name("1") == "汉"
    assert nation_name("98") == "外国血统中国籍人士" and nation_name("08", "en") == "Zhuang"
    assert nation_name("77") == "未知代码 77"
    assert [sex_name(c) for c in "0129"] == ["未知", "男", "女", "未说明"]
    assert sex_name("5", "en") == "unknown code '5'"


def test_wrong_text_length_is_a_typed_error() -> None:
    with pytest.raises(CardDataError, match="256"):
        parse_text(bytes(255))


def test_builder_refuses_a_value_too_long_for_its_field() -> None:
    with pytest.raises(CardDataError, match="name"):
        build_text(CardType.RESIDENT, {"name": "测" * 16})


@settings(max_examples=300)
@given(st.binary(min_size=256, max_size=256))
def test_random_text_blocks_never_crash_the_parser(text: bytes) -> None:
    from kiosk.devices.idcard.commands import ReadPayload

    card = IdCard.from_payload(ReadPayload(text, b"", b"", False))
    card.masked()
    repr(card)


# UCS-2 has no surrogate pairs: the card holds Basic Multilingual Plane characters only.
ucs2_char = st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs", "Zs", "Cc", "Zl", "Zp"])


@settings(max_examples=100)
@given(st.sampled_from(CARD_TYPES), st.data())
def test_build_then_parse_gives_the_fields_back(card_type: CardType, data: st.DataObject) -> None:
    fields = {}
    for name, _offset, length in LAYOUTS[card_type]:
        if name.startswith("name_en_"):
            continue
        fields[name] = data.draw(st.text(ucs2_char, max_size=min(length // 2, 8)))
    if card_type is CardType.FOREIGN_2023:
        fields["name_en"] = data.draw(st.from_regex(r"[A-Z]{1,30}( [A-Z]{1,10})?", fullmatch=True))
    parsed_type, parsed = parse_text(build_text(card_type, fields))
    assert parsed_type is card_type
    assert {k: parsed[k] for k in fields} == fields
