"""APDU and TLV encoding, the T=0 exchange rules and the synthetic data, without PC/SC.

The card readers (ssc, emv) talk straight to the card applications here; the same bytes
go through pyscard -> pcscd -> vpcd in test_smartcard_pcsc.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.base import DeviceError
from kiosk.devices.smartcard import apdu, cards
from kiosk.devices.smartcard.emv import read_bank_card
from kiosk.devices.smartcard.ssc import read_social_security

# -- BER-TLV -------------------------------------------------------------------------------

one_byte_tags = st.integers(0x01, 0xFE).filter(lambda t: t & 0x1F != 0x1F and not t & 0x20)
two_byte_tags = st.builds(
    lambda a, b: (a << 8) | b, st.sampled_from([0x5F, 0x9F, 0xDF]), st.integers(1, 0x7F)
)
primitives = st.tuples(st.one_of(one_byte_tags, two_byte_tags), st.binary(max_size=300))


@given(st.lists(primitives, max_size=6))
def test_tlv_round_trip(objects: list[tuple[int, bytes]]) -> None:
    encoded = b"".join(apdu.tlv(tag, value) for tag, value in objects)
    assert apdu.parse_tlv(encoded) == objects


@given(st.binary(max_size=64))
def test_tlv_parser_rejects_garbage_cleanly(data: bytes) -> None:
    try:
        apdu.parse_tlv(data)
        apdu.find_tag(data, 0x5A)
    except apdu.TlvError:
        pass  # the only failure a malformed card answer may cause


def test_find_tag_descends_into_templates() -> None:
    fci = apdu.tlv(
        0x6F,
        apdu.tlv(0x84, b"A")
        + apdu.tlv(0xA5, apdu.tlv(0xBF0C, apdu.tlv(0x61, apdu.tlv(0x4F, b"\xa0\x01")))),
    )
    assert apdu.find_tag(fci, 0x4F) == b"\xa0\x01"
    assert apdu.find_tag(fci, 0x5A) is None


@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=255),
    st.one_of(st.none(), st.integers(1, 256)),
)
def test_command_round_trip(ins: int, p1: int, data: bytes, le: int | None) -> None:
    cmd = apdu.Command.parse(apdu.command(0x00, ins, p1, 0x00, data, le))
    assert (cmd.ins, cmd.p1, cmd.data, cmd.le) == (ins, p1, data, le)


def test_exchange_follows_61xx_and_6cxx() -> None:
    sent: list[bytes] = []
    replies = iter([b"\x6c\x05", b"\x61\x03", b"abc\x61\x02", b"de\x90\x00"])

    def transmit(raw: bytes) -> bytes:
        sent.append(raw)
        return next(replies)

    reply = apdu.exchange(transmit, apdu.read_record(1, 0x0C, 0x02))
    assert reply == apdu.Response(b"abcde", 0x9000)
    assert sent == [
        bytes.fromhex("00B2010C02"),
        bytes.fromhex("00B2010C05"),  # resent with the Le the card asked for
        bytes.fromhex("00C0000003"),
        bytes.fromhex("00C0000002"),
    ]


# -- synthetic data --------------------------------------------------------------------------


def test_gb11643_check_character() -> None:
    assert cards.gb11643_valid("11010519491231002X")  # the example printed in GB 11643
    assert not cards.gb11643_valid("110105194912310021")
    assert cards.gb11643_valid(cards.sample_ssc_holder().id_number)


def test_synthetic_pan_passes_luhn() -> None:
    pan = cards.sample_bank_account().pan
    assert cards.luhn_valid(pan) and len(pan) == 19
    assert not cards.luhn_valid(pan[:-1] + str((int(pan[-1]) + 1) % 10))


# -- readers against the card applications ---------------------------------------------------


@pytest.mark.parametrize("t0", [False, True])
def test_social_security_read_straight_from_the_card_app(t0: bool) -> None:
    app = cards.SocialSecurityCardApp(t0=t0)
    card = read_social_security(app.process)
    holder = app.holder
    assert (card.card_number, card.name, card.id_number) == (
        holder.card_number,
        holder.name,
        holder.id_number,
    )
    assert card.birth_date == "1985-03-12" and card.sex_label == "female" and card.nation == "01"
    assert (app.get_responses > 0) is t0
    text = repr(card) + str(card) + str(card.to_json())
    for secret in (holder.name, holder.id_number, holder.card_number, "1985-03-12"):
        assert secret not in text


def test_bank_read_takes_ppse_and_track2_when_that_is_all_there_is() -> None:
    app = cards.BankCardApp(pse=False, pan_in_5a=False, gpo_format=1, t0=True)
    card = read_bank_card(app.process)
    assert card.pan == app.account.pan and card.pan_source == "57"
    assert card.directory == "PPSE" and card.expiry == "2030-12"
    assert app.account.pan not in repr(card)


def test_bank_read_rejects_a_corrupted_pan() -> None:
    pan = cards.sample_bank_account().pan
    account = cards.BankAccount(pan=pan[:-1] + str((int(pan[-1]) + 1) % 10))
    with pytest.raises(DeviceError) as err:
        read_bank_card(cards.BankCardApp(account).process)
    assert err.value.code == "read_failed"


def test_card_answers_unknown_commands_with_status_words() -> None:
    app = cards.SocialSecurityCardApp()
    assert app.process(bytes.fromhex("00CA9F7F00"))[-2:] == b"\x6d\x00"  # INS not supported
    assert app.process(bytes.fromhex("00A4040002A000"))[-2:] == b"\x6a\x82"  # no such app
    assert app.process(bytes.fromhex("00B2070000"))[-2:] == b"\x69\x86"  # no EF selected
    assert app.process(b"\x00\xa4")[-2:] == b"\x67\x00"  # truncated command
