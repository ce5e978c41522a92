"""`kiosk smartcard readers|read` as a technician runs them, and the emulated device the app
creates from config, both on the real pcscd (vpcd slot 1, see smartcard_fixtures)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import SmartCardConfig
from kiosk.devices.base import DeviceState, EventHub, EventKind
from kiosk.devices.smartcard import cards, create

# Fixtures (pcscd_service, slot, reader, ...) come in as a plugin; rewrite its asserts too.
pytest_plugins = ["tests.smartcard_fixtures"]
pytest.register_assert_rewrite("tests.smartcard_fixtures")
from tests.smartcard_fixtures import (  # noqa: E402
    TEST_PORT,
    TEST_READER,
    EventLog,
    PcscdService,
    wait_reader_empty,
)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pcscd_service: PcscdService) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_TERMINAL__DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KIOSK_DEVICES__SMARTCARD__VPCD_PORT", str(TEST_PORT))
    yield
    wait_reader_empty(TEST_READER)


def test_readers_lists_the_virtual_reader(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["smartcard", "readers", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["state"] == "online" and report["self_test"]["passed"]
    assert report["details"]["reader"] == TEST_READER
    assert TEST_READER in report["details"]["readers"]


def test_read_is_masked_unless_revealed(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    holder = cards.sample_ssc_holder()
    assert main(["smartcard", "read"]) == 0
    out = capsys.readouterr().out
    assert "林*梅" in out and holder.id_number[:4] + "**" in out
    assert holder.name not in out and holder.id_number not in out and holder.card_number not in out

    assert main(["smartcard", "read", "--bank", "--json", "--reveal"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pan"] == cards.sample_bank_account().pan and data["masked"] is False


def test_read_without_a_card_says_so(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KIOSK_DEVICES__SMARTCARD__MODE", "pcsc")
    monkeypatch.setenv("KIOSK_DEVICES__SMARTCARD__READER", TEST_READER)
    assert main(["smartcard", "read"]) == 1
    assert "no_card" in capsys.readouterr().err


def test_emulated_device_from_config_with_demo_card(
    pcscd_service: PcscdService, tmp_path: Path
) -> None:
    hub = EventHub()
    log = EventLog(hub)
    section = SmartCardConfig(mode="emulated", vpcd_port=TEST_PORT, demo_card="social_security")
    device = create(section, hub, tmp_path)
    device.start()
    try:
        placed = log.next(EventKind.CARD_PLACED)
        assert placed.detail["reader"] == TEST_READER
        health = device.health()
        assert health.state == DeviceState.ONLINE and health.details["emulated"] is True
        assert health.details["virtual_card"] == "SocialSecurityCardApp"
        assert device.read_social_security().name == "林晓梅"
        device.emulator.remove()
        log.next(EventKind.CARD_REMOVED)
        device.emulator.insert(cards.BankCardApp())
        log.next(EventKind.CARD_PLACED)
        assert device.read_bank_card().pan == cards.sample_bank_account().pan
    finally:
        device.stop()
    names = {t.name for t in threading.enumerate() if t.is_alive()}
    assert not names & {"vpcd-card", "smartcard-monitor", "smartcard-demo"}
    wait_reader_empty(TEST_READER)


def test_importing_the_package_does_not_load_pyscard() -> None:
    """pyscard loads only when a PC/SC call is made (fast first screen)."""
    probe = (
        "import sys, kiosk.devices.smartcard as p, kiosk.devices.smartcard.reader, "
        "kiosk.devices.smartcard.emulated, kiosk.commands.smartcard; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('smartcard', 'textual')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == "[]"
