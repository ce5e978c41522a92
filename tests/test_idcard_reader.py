"""The adapter against the SAM emulator over a real pseudo-terminal."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.config import IdCardConfig
from kiosk.devices import idcard
from kiosk.devices.base import DeviceError, DeviceEvent, DeviceState, EventHub, EventKind
from kiosk.devices.idcard.card_text import CardType
from kiosk.devices.idcard.emulator import ALWAYS, SamEmulator
from kiosk.devices.idcard.reader import IdCardReader
from kiosk.devices.idcard.synthetic import DEMO_FIELDS, demo_card


def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


class Recorder:
    def __init__(self, hub: EventHub) -> None:
        self.events: list[DeviceEvent] = []
        self._lock = threading.Lock()
        hub.subscribe(self._on)

    def _on(self, event: DeviceEvent) -> None:
        with self._lock:
            self.events.append(event)

    def kinds(self) -> list[EventKind]:
        with self._lock:
            return [e.kind for e in self.events if e.kind != EventKind.STATUS_CHANGED]

    def count(self, kind: EventKind) -> int:
        return self.kinds().count(kind)


@pytest.fixture
def emulator() -> Iterator[SamEmulator]:
    emu = SamEmulator(seed=1).start()
    yield emu
    emu.stop()


def make_reader(hub: EventHub, port: str, **options: object) -> IdCardReader:
    settings: dict[str, object] = {
        "poll_interval_s": 0.05,
        "timeout_s": 1.0,
        "reconnect_interval_s": 0.05,
    }
    settings.update(options)
    return IdCardReader(hub, port, **settings)  # type: ignore[arg-type]


@pytest.fixture
def hub() -> EventHub:
    return EventHub()


@pytest.fixture
def reader(emulator: SamEmulator, hub: EventHub) -> Iterator[IdCardReader]:
    r = make_reader(hub, emulator.port)
    r.start()
    assert r.wait_ready(5), r.health()
    yield r
    r.stop()


@pytest.mark.parametrize(
    "card_type",
    [CardType.RESIDENT, CardType.PERMIT, CardType.FOREIGN_2017, CardType.FOREIGN_2023],
    ids=str,
)
def test_reads_every_card_type(reader: IdCardReader, emulator: SamEmulator, card_type) -> None:
    placed = emulator.place_card(card_type)
    card = reader.read_card()
    assert card.card_type is card_type
    for name, value in DEMO_FIELDS[card_type].items():
        assert getattr(card, name) == value
    assert bytes(card.photo) == placed.photo
    assert card.id_number_valid is (None if card_type is CardType.FOREIGN_2017 else True)
    assert list(emulator.commands)[-4:] == ["find", "select", "read", "read_appended_address"]


def test_reads_fingerprints_and_appended_address(reader: IdCardReader, emulator) -> None:
    emulator.place_card(
        demo_card("resident", fingerprints=2, appended_address="北京市西城区测试胡同9号")
    )
    card = reader.read_card(fingerprints=True)
    assert len(card.fingerprints) == 2 and card.appended_address == "北京市西城区测试胡同9号"
    masked = card.masked()["appended_address"]
    assert masked.startswith("北京市西城区*") and "测试胡同" not in masked
    assert "read_with_fingerprints" in emulator.commands


def test_no_card(reader: IdCardReader) -> None:
    with pytest.raises(DeviceError) as err:
        reader.read_card()
    assert err.value.code == "no_card"
    assert reader.card_present is False


@pytest.mark.parametrize("how", ["partial", "sw41"])
def test_card_pulled_mid_read(reader: IdCardReader, emulator, hub, how: str) -> None:
    recorder = Recorder(hub)
    emulator.place_card("resident")
    wait_for(lambda: reader.card_present)
    emulator.set_faults(pull_mid_read=how)
    with pytest.raises(DeviceError) as err:
        reader.read_card()
    assert err.value.code == "card_removed"
    assert reader.card_present is False
    assert recorder.kinds()[-1] == EventKind.CARD_REMOVED
    emulator.place_card("resident")  # the resident puts it back: the reader still works
    assert reader.read_card().name == "测试一"


def test_one_corrupt_reply_is_retried(reader: IdCardReader, emulator) -> None:
    emulator.place_card("hk_mo_tw_permit")
    emulator.set_faults(checksum=1)
    assert reader.read_card().pass_number == "H90000001"


def test_persistent_checksum_errors(reader: IdCardReader, emulator) -> None:
    emulator.place_card("resident")
    emulator.set_faults(checksum=ALWAYS)
    with pytest.raises(DeviceError) as err:
        reader.read_card()
    assert err.value.code == "checksum"
    assert reader.health().details["last_error"] == "checksum"


def test_silent_sam_times_out_without_hanging(emulator: SamEmulator, hub) -> None:
    r = make_reader(hub, emulator.port, poll_interval_s=10, timeout_s=0.3)
    r.start()
    try:
        assert r.wait_ready(5)
        emulator.place_card("resident")
        emulator.set_faults(silent=ALWAYS)
        with pytest.raises(DeviceError) as err:
            r.read_card()
        assert err.value.code == "timeout"
    finally:
        r.stop()


def test_fragmented_noisy_slow_replies_still_read(reader: IdCardReader, emulator) -> None:
    emulator.place_card("foreign_2017")
    emulator.set_faults(fragment=True, garbage=ALWAYS, trailing=ALWAYS, slow_s=0.02)
    for _ in range(3):
        assert reader.read_card().name_en == "TESTER, ALPHA"


def test_unknown_status_is_a_sam_error(reader: IdCardReader, emulator) -> None:
    emulator.place_card("resident")
    emulator.set_faults(unknown_sw3=0x77)
    with pytest.raises(DeviceError) as err:
        reader.read_card()
    assert err.value.code == "sam_error" and "unknown status 0x77" in str(err.value)
    assert err.value.state == DeviceState.HARDWARE_ERROR


def test_card_placed_and_removed_events(reader: IdCardReader, emulator, hub) -> None:
    recorder = Recorder(hub)
    emulator.place_card("resident")
    wait_for(lambda: recorder.count(EventKind.CARD_PLACED) == 1)
    assert reader.card_present is True
    emulator.remove_card()
    wait_for(lambda: recorder.count(EventKind.CARD_REMOVED) == 1)
    assert recorder.kinds() == [EventKind.CARD_PLACED, EventKind.CARD_REMOVED]
    assert reader.health().details["card_present"] is False


def test_polling_never_interleaves_with_a_read(emulator: SamEmulator, hub) -> None:
    r = make_reader(hub, emulator.port, poll_interval_s=0.001)
    r.start()
    try:
        assert r.wait_ready(5)
        emulator.place_card("resident")
        emulator.set_faults(fragment=True)
        for _ in range(5):
            r.read_card(appended_address=False)
        log = list(emulator.commands)
        # Every select follows a find and is followed by the read: no poll slipped between.
        for i, name in enumerate(log):
            if name == "select":
                assert log[i - 1] == "find" and log[i + 1] == "read", log[i - 2 : i + 2]
        assert log.count("read") == 5
    finally:
        r.stop()


def test_reconnects_when_the_port_comes_back(tmp_path: Path, hub) -> None:
    link = tmp_path / "usb-sam"  # like /dev/serial/by-id/...: the name survives a replug
    first = SamEmulator(link=link).start()
    recorder = Recorder(hub)
    r = make_reader(hub, str(link))
    r.start()
    second = None
    try:
        assert r.wait_ready(5)
        first.stop()  # unplugged
        wait_for(lambda: recorder.count(EventKind.DEVICE_LOST) == 1)
        assert r.health().state == DeviceState.NO_DEVICE
        with pytest.raises(DeviceError) as err:
            r.read_card()
        assert err.value.code == "no_device"
        second = SamEmulator(link=link).start()  # plugged back: a new pty behind the same name
        wait_for(lambda: recorder.count(EventKind.DEVICE_REGAINED) == 1)
        assert r.health().state == DeviceState.ONLINE
        second.place_card("resident")
        assert r.read_card().name == "测试一"
    finally:
        r.stop()
        if second:
            second.stop()


def test_set_port_moves_to_another_reader(reader: IdCardReader, emulator: SamEmulator) -> None:
    with SamEmulator() as other:
        other.place_card("foreign_2023")
        reader.set_port(other.port)
        wait_for(lambda: reader.connected and reader.health().details["port"] == other.port)
        assert reader.read_card().card_type is CardType.FOREIGN_2023


def test_baud_change(reader: IdCardReader, emulator: SamEmulator) -> None:
    emulator.place_card("resident")
    reader.set_baudrate(38400)
    assert emulator.baudrate == 38400 and reader.health().details["baudrate"] == 38400
    assert reader.read_card().name == "测试一"
    with pytest.raises(DeviceError) as err:
        reader.set_baudrate(4800)
    assert err.value.code == "bad_baudrate"


def test_wrong_speed_hears_nothing_unless_auto_baud(hub) -> None:
    with SamEmulator(baudrate=9600) as emu:
        fixed = make_reader(hub, emu.port, auto_baud=False)
        fixed.start()
        try:
            wait_for(lambda: fixed.health().state == DeviceState.OFFLINE)
            assert "does not answer" in fixed.health().message
            assert emu.noise_bytes > 0
        finally:
            fixed.stop()
        auto = make_reader(hub, emu.port)
        auto.start()
        try:
            assert auto.wait_ready(10)
            assert auto.baudrate == 9600
        finally:
            auto.stop()


def test_missing_port_is_no_device_not_a_crash(tmp_path: Path, hub) -> None:
    r = make_reader(hub, str(tmp_path / "ttyUSB9"))
    r.start()
    try:
        wait_for(lambda: "ttyUSB9" in r.health().message)
        assert r.health().state == DeviceState.NO_DEVICE
        assert not r.self_test().passed
    finally:
        r.stop()


def test_self_test_and_health(reader: IdCardReader) -> None:
    result = reader.self_test()
    assert result.passed and result.details["sam_id"] == "05.01-20240101-000012345-001234567"
    health = reader.health()
    assert health.healthy and health.details["port"] == reader.port
    assert health.details["sam_id"] == result.details["sam_id"]


def test_create_emulated_owns_its_emulator(hub) -> None:
    device = idcard.create(IdCardConfig(poll_interval_s=0.05), hub, Path("/nonexistent"))
    device.start()
    try:
        assert device.wait_ready(5)
        assert device.emulator is not None and not device.emulator.card_present
        with pytest.raises(DeviceError):
            device.read_card()
        device.emulator.place_card("resident")
        assert device.read_card().card_type is CardType.RESIDENT
    finally:
        device.stop()
    assert not device.emulator.running


def test_create_can_start_with_a_demo_card(hub) -> None:
    section = IdCardConfig(demo_card="foreign_2017", emulator_pace=False)
    device = idcard.create(section, hub, Path("/nonexistent"))
    device.start()
    try:
        assert device.wait_ready(5)
        assert device.read_card().card_type is CardType.FOREIGN_2017
    finally:
        device.stop()


def test_device_modules_do_not_import_textual() -> None:
    code = (
        "import sys, kiosk.devices.idcard.reader, kiosk.devices.idcard.emulator, "
        "kiosk.devices.idcard.decode; "
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
