"""The card reader on the real PC/SC stack: pyscard -> pcscd -> vpcd -> our virtual card.

Each insert or remove waits for pcscd's presence polling (~0.4 s), so the cycles are few.
"""

from __future__ import annotations

import pytest

from kiosk.devices.base import DeviceError, DeviceState, EventKind
from kiosk.devices.smartcard import cards, pcsc, pcscd
from kiosk.devices.smartcard.pcscd import ensure_pcscd, pcscd_running
from kiosk.devices.smartcard.reader import SmartCardReader
from kiosk.devices.smartcard.vpcd_card import VirtualCardSlot

# Fixtures (pcscd_service, slot, reader, ...) come in as a plugin; rewrite its asserts too.
pytest_plugins = ["tests.smartcard_fixtures"]
pytest.register_assert_rewrite("tests.smartcard_fixtures")
from tests.smartcard_fixtures import (  # noqa: E402
    TEST_READER,
    EventLog,
    PcscdService,
    PrivatePcscd,
    ReaderClient,
)


def read_error(call) -> DeviceError:  # type: ignore[no-untyped-def]
    with pytest.raises(DeviceError) as err:
        call()
    return err.value


def test_reader_is_listed_and_healthy(reader: SmartCardReader) -> None:
    assert TEST_READER in reader.readers()
    health = reader.health()
    assert health.state == DeviceState.ONLINE
    assert health.details["reader"] == TEST_READER
    assert health.details["card_present"] is False
    result = reader.self_test()
    assert result.passed and result.details["card_present"] is False


def test_no_card_in_the_reader(reader: SmartCardReader) -> None:
    assert read_error(reader.read_social_security).code == "no_card"


def test_social_security_card_placed_read_and_removed(
    reader: SmartCardReader, slot: VirtualCardSlot, event_log: EventLog
) -> None:
    app = cards.SocialSecurityCardApp()
    slot.insert(app)
    placed = event_log.next(EventKind.CARD_PLACED)
    assert placed.detail["reader"] == TEST_READER
    assert placed.detail["atr"] == app.atr.hex().upper()
    assert reader.health().details["card_present"] is True

    card = reader.read_social_security()
    holder = app.holder
    assert card.card_number == holder.card_number == "A98765432"
    assert card.name == holder.name == "林晓梅"
    assert card.id_number == holder.id_number and cards.gb11643_valid(card.id_number)
    assert (card.sex, card.birth_date, card.expiry_date) == ("2", "1985-03-12", "2030-06-15")
    assert card.masked_id_number == holder.id_number[:4] + "*" * 10 + holder.id_number[-4:]
    assert holder.id_number not in repr(card) and holder.name not in repr(card)

    # the same card is not a bank card: a clear code, not a crash
    assert read_error(reader.read_bank_card).code == "unsupported_card"

    slot.remove()
    event_log.next(EventKind.CARD_REMOVED)
    assert not reader.card_present


def test_t0_card_is_read_through_get_response(
    reader: SmartCardReader, slot: VirtualCardSlot
) -> None:
    app = cards.SocialSecurityCardApp(t0=True)
    slot.insert(app)
    assert reader.wait_for_card(True)
    card = reader.read_social_security()
    assert card.id_number == app.holder.id_number and card.name == app.holder.name
    # every reply with data (SELECT SSSE + 8 records) came through 61xx + GET RESPONSE
    assert app.get_responses == 9
    assert card.atr == app.atr.hex().upper() and app.atr[1] & 0x80 == 0  # a T=0-only ATR


@pytest.mark.parametrize(
    "app",
    [
        cards.BankCardApp(),
        cards.BankCardApp(pse=False, gpo_format=1, pan_in_5a=False, t0=True),
    ],
    ids=["contact-PSE", "PPSE-format1-T0"],
)
def test_bank_card_pan_read_and_masked(
    reader: SmartCardReader, slot: VirtualCardSlot, app: cards.BankCardApp
) -> None:
    slot.insert(app)
    assert reader.wait_for_card(True)
    card = reader.read_bank_card()
    pan = app.account.pan
    assert card.pan == pan and card.expiry == "2030-12"
    assert card.aid == "A000000333010101"
    assert card.masked_pan == pan[:4] + "*" * (len(pan) - 8) + pan[-4:]
    assert pan not in repr(card) and card.to_json()["pan"] == card.masked_pan
    assert read_error(reader.read_social_security).code == "unsupported_card"


def test_foreign_card_is_unsupported(reader: SmartCardReader, slot: VirtualCardSlot) -> None:
    slot.insert(cards.ForeignCardApp())
    assert reader.wait_for_card(True)
    err = read_error(reader.read_social_security)
    assert err.code == "unsupported_card" and "6A82" in str(err)
    assert read_error(reader.read_bank_card).code == "unsupported_card"


def test_card_pulled_mid_read_then_next_card_reads(
    reader: SmartCardReader, slot: VirtualCardSlot, event_log: EventLog
) -> None:
    slot.insert(cards.SocialSecurityCardApp(), pull_after=4)  # gone while reading EF05
    event_log.next(EventKind.CARD_PLACED)
    assert read_error(reader.read_social_security).code == "card_removed"
    event_log.next(EventKind.CARD_REMOVED)

    app = cards.SocialSecurityCardApp()
    slot.insert(app)
    event_log.next(EventKind.CARD_PLACED)
    assert reader.read_social_security().card_number == app.holder.card_number


def test_pcscd_stopped_and_restarted(private_pcscd: PrivatePcscd) -> None:
    """The adapter reports the reader lost when pcscd stops and regains it, with the card
    still in it, when pcscd is back, without being restarted itself. Runs against a
    private pcscd (the shared one is not ours to stop) from a client process."""
    client = ReaderClient(private_pcscd)
    try:
        client.expect("ready", "True")
        client.send("insert")
        client.expect("event", "cardPlaced")

        private_pcscd.stop()
        assert client.expect("event", "cardRemoved")["reason"] == "pcsc_unavailable"
        client.expect("event", "deviceLost")
        client.send("health")
        client.expect("health", "offline")
        client.send("read")
        client.expect("read", "pcsc_unavailable")

        private_pcscd.start()
        client.expect("event", "deviceRegained")
        client.expect("event", "cardPlaced")  # the virtual card reconnected to the new vpcd
        client.send("read")
        assert client.expect("read", "ok")["matches"] == "True"
    finally:
        client.close()
    assert client.proc.returncode == 0


def test_a_second_user_of_pcscd_never_stops_it(pcscd_service: PcscdService) -> None:
    handle = ensure_pcscd(TEST_READER, timeout=5)
    assert not handle.owned  # already running: used, not started
    assert handle.stop() is False
    assert pcscd_running() and TEST_READER in pcsc.list_readers()


def test_missing_pcscd_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pcscd, "pcscd_running", lambda sock=pcscd.PCSCD_SOCKET: False)
    monkeypatch.setattr(pcscd, "find_pcscd", lambda: None)
    with pytest.raises(pcscd.PcscdError, match="pcscd is not installed"):
        pcscd.ensure_pcscd(TEST_READER, timeout=1)
